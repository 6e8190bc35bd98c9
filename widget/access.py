"""Who may read or change which messages: the one access rule of the widget.

A *mailbox* holds conversations, their messages and attachments, and the CRM logs
written from them. The *actor* is who is signed in. Today every mailbox is one
extension's own and only that extension reads or changes it; a shared inbox (a queue
that owns conversations its members read) changes this module and ``Mailbox``, not the
services that call it.

A *queue* (shared inbox) owns a mailbox too: its conversations belong to the queue's
own extension (of kind Department). A member of a queue reads every conversation the
queue has a case on and replies in one only while it waits or is theirs
(``conversation_to_reply``); nobody deletes or marks the shared copy (``may_change``). The
list clauses below stay one extension's mailbox (queue conversations are listed by the
queue section), while the row checks ask the queue tables only for a row outside the
actor's own mailbox, so a person's own messages cost what they always did.

A row the actor may not read is "not found", exactly like a row that does not exist:
an id never tells one user that another user's message exists.

Personal things that are not in a mailbox (contacts, templates, CRM connections, send
requests) belong to one extension; ``personal_to`` is their rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, or_, select, true

from widget.errors import Conflict, NotFound
from widget.extensions import db
from widget.models import (
    Attachment,
    Conversation,
    CrmActivity,
    Extension,
    Message,
    Queue,
    QueueConversation,
    QueueMember,
)

# The parameter that statements built once and cached bind the actor to.
ACTOR_PARAM = "actor_id"


@dataclass(frozen=True)
class Mailbox:
    """Whose messages: today the mailbox of one extension."""

    extension_id: int

    def holds(self, row: Conversation | Message | CrmActivity) -> bool:
        """Return whether ``row`` is in this mailbox."""
        return row.extension_id == self.extension_id

    def where(self, model: type[Conversation | Message | CrmActivity]) -> ColumnElement[bool]:
        """Return the clause that keeps the rows of ``model`` in this mailbox."""
        return model.extension_id == self.extension_id


def mailbox_of(extension: Extension) -> Mailbox:
    """Return the extension's own mailbox: where the platform delivers its messages."""
    return Mailbox(extension.id)


def mailboxes_for(actor: Extension) -> tuple[Mailbox, ...]:
    """Return every mailbox ``actor`` may read."""
    return (mailbox_of(actor),)


def _conversation_id(row: Conversation | Message | CrmActivity) -> int | None:
    return row.id if isinstance(row, Conversation) else getattr(row, "conversation_id", None)


def queue_member_clause(actor: Extension) -> ColumnElement[bool]:
    """Return the clause that keeps the queue cases whose queue ``actor`` is a member of."""
    return QueueConversation.queue_id.in_(
        select(QueueMember.queue_id).where(QueueMember.extension_id == actor.id)
    )


def _queue_case_of(actor: Extension, row) -> QueueConversation | None:
    """The latest case on ``row``'s conversation in a queue ``actor`` belongs to."""
    conversation_id = _conversation_id(row)
    if conversation_id is None:
        return None
    return db.session.scalar(
        select(QueueConversation)
        .where(QueueConversation.conversation_id == conversation_id, queue_member_clause(actor))
        .order_by(QueueConversation.id.desc())
        .limit(1)
    )


def may_read(actor: Extension, row: Conversation | Message | CrmActivity) -> bool:
    """Return whether ``actor`` may see ``row``: their own, or their queues' cases'."""
    if any(mailbox.holds(row) for mailbox in mailboxes_for(actor)):
        return True
    return _queue_case_of(actor, row) is not None


def may_change(actor: Extension, row: Conversation | Message | CrmActivity) -> bool:
    """Return whether ``actor`` may change ``row`` (delete it, mark it, log it, ...).

    Only their own rows: a queue's shared copy is changed through the queue's own
    actions (claim, release, transfer, resolve, notes) and by replying
    (``conversation_to_reply``), never deleted or marked by one member for all.
    """
    return any(mailbox.holds(row) for mailbox in mailboxes_for(actor))


def _visible(
    model: type[Conversation | Message | CrmActivity], actor: Extension | None
) -> ColumnElement[bool]:
    if actor is None:
        return model.extension_id == bindparam(ACTOR_PARAM)
    return or_(*(mailbox.where(model) for mailbox in mailboxes_for(actor)))


def _case_activities_of_member(actor: Extension) -> ColumnElement[bool]:
    """A shared-inbox case's CRM activity is the team's: every member of its queue reads
    it (whoever logged it first writes it)."""
    return CrmActivity.queue_conversation_id.in_(
        select(QueueConversation.id).where(queue_member_clause(actor))
    )


def conversations_visible_to(actor: Extension | None = None) -> ColumnElement[bool]:
    """Return the clause that keeps the conversations ``actor`` may read.

    Without an actor the clause binds ``ACTOR_PARAM``, for statements built once and
    cached; run them with ``actor_params(actor)``.
    """
    return _visible(Conversation, actor)


def messages_visible_to(actor: Extension | None = None) -> ColumnElement[bool]:
    """Return the clause that keeps the messages ``actor`` may read (see above for None)."""
    return _visible(Message, actor)


def activities_visible_to(actor: Extension | None = None) -> ColumnElement[bool]:
    """Return the clause that keeps the CRM activities ``actor`` may read: their own,
    and the activities of cases in their queues."""
    if actor is None:
        return _visible(CrmActivity, actor)
    return or_(_visible(CrmActivity, actor), _case_activities_of_member(actor))


def crm_logs_readable_by(
    actor: Extension, connector_id: str, crm_log_id: Any
) -> ColumnElement[bool]:
    """Return the clause that keeps the CRM's own activity rows ``actor`` may read.

    For a CRM whose pages Sidetalk serves (the local CRM), ``crm_log_id`` being the
    column of that CRM's activity id as text: an admin reads every activity of the
    account (the caller keeps the account); anyone else reads an activity only when
    they may read the Sidetalk log it was written from, that is, when it belongs to a
    conversation of their own mailboxes (which is also what they can log).
    """
    if actor.is_admin:
        return true()
    return exists().where(
        CrmActivity.connector_id == connector_id,
        CrmActivity.crm_log_id == crm_log_id,
        activities_visible_to(actor),
    )


def queue_mailboxes_of(actor: Extension) -> tuple[Mailbox, ...]:
    """Return the mailboxes of the queues ``actor`` is a member of (one statement).

    The sidebar's search reads them besides the actor's own; the list without a query
    stays the actor's own mailbox (the Queue section lists the queues' cases)."""
    ids = db.session.scalars(
        select(Queue.extension_id)
        .join(QueueMember, QueueMember.queue_id == Queue.id)
        .where(QueueMember.extension_id == actor.id)
        .order_by(Queue.extension_id)
    )
    return tuple(Mailbox(extension_id) for extension_id in ids)


def conversations_searchable_by(
    actor: Extension, queue_mailboxes: tuple[Mailbox, ...]
) -> ColumnElement[bool]:
    """Return the clause that keeps what ``actor``'s search may list: their own
    conversations, and those of ``queue_mailboxes`` (``queue_mailboxes_of``) that a
    queue they belong to has a case on, the rule ``may_read`` applies to one row.

    The mailbox list comes first so both databases range over the list index per
    mailbox; the case check only runs on a queue mailbox's rows."""
    if not queue_mailboxes:
        return conversations_visible_to(actor)
    in_mailboxes = Conversation.extension_id.in_(
        [actor.id, *(mailbox.extension_id for mailbox in queue_mailboxes)]
    )
    # Asked per row (through the case's conversation index), not as the list of every
    # case of the queues, which would grow with them.
    has_member_case = exists().where(
        QueueConversation.conversation_id == Conversation.id, queue_member_clause(actor)
    )
    return and_(in_mailboxes, or_(conversations_visible_to(actor), has_member_case))


def actor_params(actor: Extension) -> dict[str, Any]:
    """Return the parameters a statement built with a clause for no actor runs with."""
    return {ACTOR_PARAM: actor.id}


def personal_to(actor: Extension | None, owner_column: Any) -> ColumnElement[bool]:
    """Return the clause that keeps rows whose ``owner_column`` names ``actor``.

    ``owner_column`` is the extension-id column of a personal row (a contact's or a
    template's owner, a CRM connection's or a send request's extension). Without an
    actor the clause binds ``ACTOR_PARAM``, as ``conversations_visible_to`` does.
    """
    return owner_column == (actor.id if actor is not None else bindparam(ACTOR_PARAM))


def is_personal_to(actor: Extension, owner_id: int | None) -> bool:
    """Return whether a personal row owned by ``owner_id`` is ``actor``'s."""
    return owner_id == actor.id


def _checked(actor: Extension, row, change: bool, missing: str):
    allowed = row is not None and (may_change(actor, row) if change else may_read(actor, row))
    if not allowed:
        raise NotFound(missing)
    return row


def own_conversation(actor: Extension, conversation: Conversation | None, *, change=False):
    """Return ``conversation`` if ``actor`` may read it (or change it, with ``change``).

    Raises ``NotFound`` for a conversation of another mailbox or None.
    """
    return _checked(actor, conversation, change, "That conversation does not exist.")


def conversation_for(actor: Extension, conversation_id: int, *, change=False) -> Conversation:
    """Return conversation ``conversation_id``; ``NotFound`` when ``actor`` may not have it."""
    return own_conversation(actor, db.session.get(Conversation, conversation_id), change=change)


def conversation_to_reply(actor: Extension, conversation_id: int) -> Conversation:
    """Return conversation ``conversation_id`` if ``actor`` may send in it: their own, or
    a queue conversation whose latest case is waiting (replying claims it) or theirs.

    ``NotFound`` for what they may not read; ``Conflict`` naming the holder for a queue
    conversation another member holds.
    """
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is not None and may_change(actor, conversation):
        return conversation
    case = _queue_case_of(actor, conversation) if conversation is not None else None
    if case is None:
        raise NotFound("That conversation does not exist.")
    if case.claimed_by_id not in (None, actor.id):
        # A member may read it, so naming who holds it tells them nothing new.
        holder = db.session.get(Extension, case.claimed_by_id)
        raise Conflict(f"Claimed by {holder.name}: only they can reply.")
    return conversation


def message_for(actor: Extension, message_id: int, *, change=False) -> Message:
    """Return message ``message_id``; ``NotFound`` when ``actor`` may not have it."""
    message = db.session.get(Message, message_id)
    return _checked(actor, message, change, "That message does not exist.")


def attachment_for(
    actor: Extension | None, attachment_id: int, *, signed_for: int | None = None
) -> Attachment:
    """Return attachment ``attachment_id`` if its message is one the reader may read.

    The reader is ``actor`` (None when nobody is signed in) or whoever holds a link
    signed for mailbox ``signed_for`` (media elements cannot send a session). Raises
    ``NotFound`` otherwise.
    """
    attachment = db.session.get(Attachment, attachment_id)
    message = db.session.get(Message, attachment.message_id) if attachment else None
    readers = mailboxes_for(actor) if actor is not None else ()
    if signed_for is not None:
        readers = (*readers, Mailbox(signed_for))
    if message is None:
        raise NotFound("That file does not exist.")
    in_readers = any(mailbox.holds(message) for mailbox in readers)
    if not in_readers and (actor is None or _queue_case_of(actor, message) is None):
        raise NotFound("That file does not exist.")
    return attachment


def queue_for(actor: Extension, queue_id: int) -> Queue:
    """Return queue ``queue_id`` if ``actor`` is one of its members; ``NotFound`` otherwise."""
    member = db.session.scalar(
        select(QueueMember).where(
            QueueMember.queue_id == queue_id, QueueMember.extension_id == actor.id
        )
    )
    if member is None:
        raise NotFound("That queue does not exist.")
    return member.queue


def case_for(actor: Extension, case_id: int) -> QueueConversation:
    """Return queue conversation ``case_id`` if ``actor`` is a member of its queue.

    Raises ``NotFound`` for another queue's case, a removed member, or no such case.
    """
    case = db.session.scalar(
        select(QueueConversation).where(QueueConversation.id == case_id, queue_member_clause(actor))
    )
    if case is None:
        raise NotFound("That queue conversation does not exist.")
    return case
