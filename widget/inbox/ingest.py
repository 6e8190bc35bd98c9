"""Ingestion: the one path by which platform records become messages.

Webhooks, the sandbox, compose and message-store sync all come here: ``ingest_record``
for one record, ``widget.inbox.batch.ingest_page`` for a page. Both are idempotent: the
unique (platform, platform_message_id) constraint makes a record delivered twice one
message, and ``lastModifiedTime`` decides between two versions with a compare-and-set
on the stored version, so an older version never overwrites a newer one, even when both
arrive at the same moment in two processes.

A new message costs a fixed number of statements whatever the thread's length: the
conversation is found or created and its summary moved by one upsert
(``widget.inbox.summary``), the message inserted with ``ON CONFLICT DO NOTHING`` (on
PostgreSQL in the same statement, through two data-modifying CTEs); no message of the
thread is read.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from blinker import Namespace
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from widget.access import mailbox_of
from widget.extensions import db
from widget.inbox import stored_together
from widget.inbox.record_rows import (
    attachment_rows,
    conversation_values,
    message_values,
    new_message_delta,
    own_addresses,
    state_values,
)
from widget.inbox.summary import (
    PREVIEW_LENGTH,
    SummaryDelta,
    apply_deltas,
    conversation_row,
    counts_as_unread,
    preview_text,
    refresh_conversation,
    upsert_statement_for,
)
from widget.models import (
    Attachment,
    Availability,
    Channel,
    Conversation,
    ConversationKind,
    Direction,
    Extension,
    Message,
    MessageType,
)
from widget.models.loaded import attach
from widget.models.message import CHANNEL_OF_TYPE, participants_key
from widget.models.queries import dialect_insert, dialect_name
from widget.platforms.records import ParsedRecord, RecordError, parse_record

__all__ = [
    "PREVIEW_LENGTH",
    "IngestResult",
    "ingest_record",
    "message_ingested",
    "send_ingested",
    "messages_changed",
    "messages_staged",
    "own_addresses",
    "participants_key",
    "preview_text",
    "refresh_conversation",
]

_signals = Namespace()
# Sent after the commit that made the change visible: receivers may publish events.
messages_changed = _signals.signal("messages-changed")
# Sent inside the ingesting transaction, before the commit, for every new message: what a
# receiver records (e.g. an SMS opt-out) commits or rolls back together with the message.
message_ingested = _signals.signal("message-ingested")
# Sent inside the ingesting transaction with the changed messages (``announce_staged``):
# a receiver may log what it will push in the same commit and return it for later.
messages_staged = _signals.signal("messages-staged")
# How many times a compare-and-set on a message's version is tried before giving up.
CAS_ATTEMPTS = 20


def send_ingested(extension: Extension, messages: list[Message]) -> None:
    """``message_ingested`` for each of ``messages``, its receivers looked up once (a page
    of a thousand paid blinker's lookup and coroutine check a thousand times)."""
    receivers = list(message_ingested.receivers_for(extension))
    for message in messages:
        for receiver in receivers:
            receiver(extension, message=message)


@dataclass(frozen=True)
class IngestResult:
    message: Message
    created: bool
    changed: bool
    # What the statement that stored the message read along (``widget.inbox.read_along``).
    read_along: dict[str, Any] = field(default_factory=dict)


def _pager_group(extension: Extension, parsed: ParsedRecord) -> Conversation | None:
    """A group conversation Sidetalk created (a pager group) keeps its thread when its
    members change, so the platform's conversation id finds it before the members do.

    A mixed pager group texts its outside members: their answers belong to the group too
    (the texts sent to them stay in the one-to-one thread, with their status).
    """
    if not parsed.conversation_id:
        return None
    channel = CHANNEL_OF_TYPE[parsed.type]
    answer = channel == Channel.TEXT and parsed.direction == Direction.INBOUND
    if parsed.type != MessageType.PAGER and not answer:
        return None
    channels = (channel, Channel.PAGER) if answer else (channel,)
    return db.session.scalar(
        select(Conversation).where(
            mailbox_of(extension).where(Conversation),
            Conversation.channel.in_(channels),
            Conversation.kind == ConversationKind.GROUP,
            Conversation.platform_conversation_id == parsed.conversation_id,
        )
    )


def _store_new(
    extension: Extension,
    parsed: ParsedRecord,
    delta: SummaryDelta,
    platform: str,
    content: Mapping[str, bytes],
) -> tuple[Conversation, Message | None, dict[str, Any]]:
    """Find or create the conversation of ``parsed``, apply ``delta`` to its summary and
    insert the message: the conversation, the message (None when stored already) and
    what was read along with it (``widget.inbox.read_along``: PostgreSQL only)."""
    attachments = attachment_rows(parsed, content)
    group = _pager_group(extension, parsed)
    if group is not None:
        apply_deltas({group.id: delta})
        values = message_values(extension, group.id, parsed, platform, content)
        return group, _insert_message(values, attachments), {}
    row = conversation_row(
        conversation_values(extension, parsed),
        delta,
        (parsed.created_at, parsed.type, parsed.direction),
    )
    dialect = dialect_name()
    if dialect != "postgresql":
        returned = _session_connection().execute(upsert_statement_for(dialect), row).one()
        conversation = attach(Conversation, returned._asdict())
        values = message_values(extension, conversation.id, parsed, platform, content)
        return conversation, _insert_message(values, attachments), {}
    # PostgreSQL: one statement (``stored_together``), the receivers' reads with it.
    values = message_values(extension, None, parsed, platform, content)
    del values["conversation_id"]
    values = {**_UNSET_MESSAGE_COLUMNS, **values}
    returned, message_id, values_read = stored_together.store(
        _session_connection(), extension, row, values
    )
    conversation = attach(Conversation, returned)
    if message_id is None:
        return conversation, None, {}
    values["conversation_id"] = conversation.id
    return conversation, _attached_message(values, message_id, attachments), values_read


def _session_connection():
    """The session's connection for a Core statement, after flushing what the session
    holds (an ORM statement would autoflush; this one must see the same rows)."""
    db.session.flush()
    return db.session.connection()


# The columns of a new message that ``message_values`` leaves unset (NULL when inserted).
_UNSET_MESSAGE_COLUMNS = {"status_note": None}


@functools.cache
def _insert_message_statement(dialect: str):
    """Built once per dialect (see ``upsert_statement_for``), executed with the values."""
    return (
        dialect_insert(Message.__table__)
        .on_conflict_do_nothing(index_elements=["platform", "platform_message_id"])
        .returning(Message.__table__.c.id)
    )


def _insert_message(values: dict, attachments: list[dict]) -> Message | None:
    """Insert a message (and its parts); None when its platform id is stored already.

    Only the id comes back: every other column is in ``values`` (``message_values``
    gives them all, and none has a server default), so the session's copy is built from
    them without reading the row.
    """
    statement = _insert_message_statement(dialect_name())
    message_id = _session_connection().execute(statement, values).scalar_one_or_none()
    if message_id is None:
        return None
    return _attached_message({**_UNSET_MESSAGE_COLUMNS, **values}, message_id, attachments)


def _attached_message(values: dict, message_id: int, attachments: list[dict]) -> Message:
    """The session's new message of ``values`` (every column but the id), with its parts
    inserted."""
    message = attach(Message, {**values, "id": message_id})
    parts = []
    if attachments:
        parts = list(
            db.session.scalars(
                dialect_insert(Attachment).returning(Attachment, sort_by_parameter_order=True),
                [{**row, "message_id": message.id} for row in attachments],
            )
        )
    set_committed_value(message, "attachments", parts)
    return message


def ingest_record(
    extension: Extension,
    record: Mapping | ParsedRecord,
    platform: str,
    content: Mapping[str, bytes] | None = None,
) -> IngestResult:
    """Insert or update one record in ``extension``'s mailbox; the caller commits.

    ``content`` maps attachment URIs to bytes the platform already has in hand (the
    sandbox); other attachments are fetched on first view.
    """
    parsed = record if isinstance(record, ParsedRecord) else parse_record(record)
    content = content or {}
    if parsed.last_modified_at > parsed.created_at:
        # A later version (a status change, a read): most likely stored already.
        found = _update_existing(extension, parsed, platform)
        if found is not None:
            return found
    delta = new_message_delta(parsed)
    conversation, message, values_read = _store_new(extension, parsed, delta, platform, content)
    if message is not None:
        set_committed_value(message, "conversation", conversation)
        send_ingested(extension, [message])
        return IngestResult(message=message, created=True, changed=True, read_along=values_read)
    # Stored already (delivered twice, or by another worker meanwhile): take the delta
    # back, then treat the record as a version of the stored message.
    apply_deltas({conversation.id: SummaryDelta(-delta.alive, -delta.unread, latest_may_go=True)})
    result = _update_existing(extension, parsed, platform)
    if result is None:
        raise RuntimeError(f"message {parsed.id} was refused, yet is not stored")
    return result


def _find(platform: str, platform_message_id: str) -> Message | None:
    return db.session.scalar(
        select(Message)
        .where(Message.platform == platform, Message.platform_message_id == platform_message_id)
        .execution_options(populate_existing=True)
    )


def version_delta(message: Message, parsed: ParsedRecord) -> SummaryDelta:
    """What replacing ``message``'s state by ``parsed``'s does to the summary."""
    was_alive = message.availability == Availability.ALIVE
    alive = parsed.availability == Availability.ALIVE
    delta = SummaryDelta(
        alive=int(alive) - int(was_alive),
        unread=int(counts_as_unread(message.direction, parsed.read_status, parsed.availability))
        - int(counts_as_unread(message.direction, message.read_status, message.availability)),
        latest_may_go=was_alive and not alive,
    )
    if alive and not was_alive:
        delta.offer(message.created_at, message.type, message.direction, preview_text(message))
    return delta


def _update_existing(
    extension: Extension,
    parsed: ParsedRecord,
    platform: str,
    known: Message | None = None,
    deltas: dict[int, SummaryDelta] | None = None,
) -> IngestResult | None:
    """Apply ``parsed`` to the stored message if it is a newer version; None if not stored.

    Compare-and-set: the update only lands if the stored version is still the one read,
    so of two versions arriving at once the newer one always ends up stored, and the
    summary deltas are computed against the state actually replaced. ``known`` is the
    stored message if the caller read it already; with ``deltas`` the summary change is
    added there for the caller to apply (a page applies all of them in one statement).
    """
    existing = known
    for _ in range(CAS_ATTEMPTS):
        if existing is None:
            existing = _find(platform, parsed.id)
        if existing is None:
            return None
        if not mailbox_of(extension).holds(existing):
            raise RecordError("the record belongs to another extension's mailbox")
        if parsed.last_modified_at <= existing.last_modified_at:
            return IngestResult(message=existing, created=False, changed=False)
        delta = version_delta(existing, parsed)
        values = state_values(parsed)
        swapped = db.session.execute(
            update(Message.__table__)
            .where(
                Message.__table__.c.id == existing.id,
                Message.__table__.c.last_modified_at == existing.last_modified_at,
            )
            .values(**values)
        )
        if swapped.rowcount != 1:
            existing = None  # another writer stored a version meanwhile: read it again
            continue
        return swapped_in(existing, values, delta, deltas)
    raise RuntimeError(f"message {parsed.id} kept changing while being stored")


def swapped_in(
    message: Message, values: dict, delta: SummaryDelta, deltas: dict[int, SummaryDelta] | None
) -> IngestResult:
    """After a successful compare-and-set: the session's copy takes ``values`` (as stored)
    and the summary ``delta`` is applied now, or added to ``deltas`` for the caller."""
    for name, value in values.items():
        set_committed_value(message, name, value)
    if deltas is None:
        apply_deltas({message.conversation_id: delta})
    else:
        deltas.setdefault(message.conversation_id, SummaryDelta()).merge(delta)
    return IngestResult(message=message, created=False, changed=True)
