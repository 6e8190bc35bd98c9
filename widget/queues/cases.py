"""What members do to a case: claim, release, transfer, resolve, notes, claim-on-send.

Every function takes the acting extension and the case id, checks access through
``widget.access.case_for`` (another queue's case is "not found"), changes the case with
a conditional UPDATE whose WHERE states what must still be true, records the event,
commits and announces. A change whose condition no longer holds (someone else claimed
first, it was resolved meanwhile) changes nothing and raises ``Conflict`` naming who has
the case.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from widget.access import case_for
from widget.errors import Conflict, Invalid, NotFound
from widget.extensions import db
from widget.inputs import clean_message_text
from widget.models import (
    NOTE_LIMIT,
    Extension,
    Queue,
    QueueConversation,
    QueueEvent,
    QueueEventKind,
    ResolveReason,
)
from widget.models.types import utcnow
from widget.queues import events
from widget.queues.manage import membership

# The reasons an agent may pick; "Timed out" is the idle sweep's alone.
AGENT_REASONS = (
    ResolveReason.RESOLVED,
    ResolveReason.NO_RESPONSE,
    ResolveReason.SPAM,
    ResolveReason.OTHER,
)
REASON_TEXT_LIMIT = 500


def holder_message(case: QueueConversation) -> str:
    """Say who has ``case`` now, for the 409 of a change that came too late."""
    if case.resolved_at is not None:
        who = db.session.get(Extension, case.resolved_by_id) if case.resolved_by_id else None
        by = f" by {who.name}" if who else ""
        return f"Already resolved{by} ({case.resolve_reason})."
    if case.claimed_by_id is not None:
        return f"Claimed by {db.session.get(Extension, case.claimed_by_id).name}."
    return "This conversation is waiting in the queue; claim it first."


def _refused(case_id: int) -> Conflict:
    db.session.rollback()
    case = db.session.get(QueueConversation, case_id, populate_existing=True)
    return Conflict(holder_message(case))


def _change(case: QueueConversation, condition, **values) -> bool:
    """Apply ``values`` to the case if ``condition`` still holds; True if it did."""
    result = db.session.execute(
        update(QueueConversation)
        .where(QueueConversation.id == case.id, *condition)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    db.session.refresh(case)
    return True


_OPEN = (QueueConversation.resolved_at.is_(None),)
_WAITING = (QueueConversation.resolved_at.is_(None), QueueConversation.claimed_by_id.is_(None))


def _held_by(actor: Extension) -> tuple:
    return (QueueConversation.resolved_at.is_(None), QueueConversation.claimed_by_id == actor.id)


def _held_by_or_waiting(actor: Extension) -> tuple:
    return (
        QueueConversation.resolved_at.is_(None),
        (QueueConversation.claimed_by_id == actor.id) | QueueConversation.claimed_by_id.is_(None),
    )


def _claim_values(actor: Extension, now: datetime) -> dict:
    return {"claimed_by_id": actor.id, "claimed_at": now, "reply_due_since": now}


def claim(actor: Extension, case_id: int) -> QueueConversation:
    """Claim a waiting case. Of any number of members claiming at once exactly one wins:
    the UPDATE only matches while nobody holds the case; the others get ``Conflict``
    ("Claimed by NAME")."""
    case = case_for(actor, case_id)
    now = utcnow()
    if not _change(case, _WAITING, **_claim_values(actor, now)):
        raise _refused(case_id)
    event = events.record(case, QueueEventKind.CLAIMED, actor, at=now)
    events.commit_and_announce(case, [event])
    return case


def claim_on_send(actor: Extension, case: QueueConversation) -> QueueEvent | None:
    """Before an agent's reply is sent: claim the case if it is waiting (same single-winner
    rule), refuse if another member holds it. In the caller's transaction; returns the
    CLAIMED event to announce after the commit, or None when the actor held it already."""
    now = utcnow()
    if case.claimed_by_id == actor.id and case.resolved_at is None:
        return None
    if not _change(case, _WAITING, **_claim_values(actor, now)):
        raise _refused(case.id)
    return events.record(case, QueueEventKind.CLAIMED, actor, reason="reply", at=now)


def release(actor: Extension, case_id: int) -> QueueConversation:
    """Give a case the actor holds back to the queue."""
    case = case_for(actor, case_id)
    now = utcnow()
    back = {"claimed_by_id": None, "claimed_at": None, "reply_due_since": None}
    if not _change(case, _held_by(actor), **back, waiting_since=now, notified_at=now):
        raise _refused(case_id)
    event = events.record(case, QueueEventKind.RELEASED, actor, at=now)
    events.commit_and_announce(case, [event])
    return case


def _check_note(note: str | None, field: str = "note") -> str | None:
    note = clean_message_text(note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise Invalid(f"A note is at most {NOTE_LIMIT} characters; this one is {len(note)}.", field)
    return note or None


def transfer(
    actor: Extension,
    case_id: int,
    *,
    to_member_id: int | None = None,
    to_queue_id: int | None = None,
    note: str | None = None,
) -> QueueConversation:
    """Hand a case the actor holds (or a waiting one) to a member of its queue, or to
    another queue of the account (where it waits unclaimed), with an optional note."""
    case = case_for(actor, case_id)
    note = _check_note(note)
    if (to_member_id is None) == (to_queue_id is None):
        raise Invalid("Transfer to one member or one queue.", "to")
    now = utcnow()
    if to_member_id is not None:
        target = db.session.get(Extension, to_member_id)
        queue = db.session.get(Queue, case.queue_id)
        if target is None or membership(queue, target) is None:
            raise Invalid(f"That person is not a member of {queue.name}.", "to")
        if target.id == actor.id:
            raise Invalid("You have this conversation already.", "to")
        values = _claim_values(target, now)
        kind_args = {"target_extension": target}
    else:
        queue = db.session.get(Queue, to_queue_id)
        if queue is None or queue.account_id != actor.account_id:
            raise Invalid("There is no such queue to transfer to.", "to")
        if queue.id == case.queue_id:
            raise Invalid(f"This conversation is in {queue.name} already.", "to")
        values = {
            "queue_id": queue.id,
            "claimed_by_id": None,
            "claimed_at": None,
            "reply_due_since": None,
            "waiting_since": now,
            "notified_at": now,
        }
        kind_args = {"target_queue": queue}
    left = case.queue_id
    if not _change(case, _held_by_or_waiting(actor), **values):
        raise _refused(case_id)
    event = events.record(
        case, QueueEventKind.TRANSFERRED, actor, text=note, at=now, queue_id=left, **kind_args
    )
    events.commit_and_announce(case, [event])
    return case


def parse_reason(reason: str | None, text: str | None) -> tuple[ResolveReason, str | None]:
    """Validate a resolve form: one of the agent reasons; "Other" needs its text."""
    allowed = ", ".join(r.value for r in AGENT_REASONS)
    try:
        parsed = ResolveReason((reason or "").strip())
    except ValueError:
        raise Invalid(f"Choose a reason: {allowed}.", "reason") from None
    if parsed not in AGENT_REASONS:
        raise Invalid(f"Choose a reason: {allowed}.", "reason")
    text = (text or "").strip() or None
    if parsed == ResolveReason.OTHER and not text:
        raise Invalid("Say why, for the reason Other.", "reason_text")
    if text and len(text) > REASON_TEXT_LIMIT:
        raise Invalid(f"The reason is at most {REASON_TEXT_LIMIT} characters.", "reason_text")
    return parsed, text


def resolve(
    actor: Extension, case_id: int, reason: str | None, text: str | None = None
) -> QueueConversation:
    """Resolve a case the actor holds (or a waiting one) with a reason."""
    case = case_for(actor, case_id)
    parsed, text = parse_reason(reason, text)
    now = utcnow()
    values = {
        "resolved_at": now,
        "resolved_by_id": actor.id,
        "resolve_reason": parsed,
        "resolve_text": text,
        "reply_due_since": None,
    }
    if not _change(case, _held_by_or_waiting(actor), **values):
        raise _refused(case_id)
    event = events.record(
        case, QueueEventKind.RESOLVED, actor, reason=parsed.value, text=text, at=now
    )
    events.commit_and_announce(case, [event])
    return case


def add_note(actor: Extension, case_id: int, text: str | None) -> QueueEvent:
    """An internal note on the case: members see it in the thread; it is never sent."""
    case = case_for(actor, case_id)
    note = _check_note(text, "text")
    if note is None:
        raise Invalid("Write the note first.", "text")
    event = events.record(case, QueueEventKind.NOTE, actor, text=note)
    events.commit_and_announce(case, [event])
    return event


def latest_case(conversation_id: int) -> QueueConversation | None:
    """The conversation's most recent case (open or resolved), or None outside queues."""
    return db.session.scalar(
        select(QueueConversation)
        .where(QueueConversation.conversation_id == conversation_id)
        .order_by(QueueConversation.id.desc())
        .limit(1)
    )


def open_case(conversation_id: int) -> QueueConversation | None:
    return db.session.scalar(
        select(QueueConversation).where(
            QueueConversation.conversation_id == conversation_id, *_OPEN
        )
    )


def require_open(case: QueueConversation | None) -> QueueConversation:
    if case is None:
        raise NotFound("That queue conversation does not exist.")
    if case.resolved_at is not None:
        raise Conflict(holder_message(case))
    return case
