"""Changes made to queue cases in the platform's own app, read back into Sidetalk.

An agent in RingCentral's app assigns, unassigns or resolves a thread: the platform
reads the thread's new state (``Platform.read_back_threads``) and hands it here. The
case follows with the events a change in Sidetalk records (claimed, transferred,
released, resolved: the same pills, pushes and CRM log), marked ``from_platform`` so
the platform mapping does not tell the platform what it told us.

Idempotent: each change is a conditional UPDATE from the case's state as read to the
thread's, so a state handed twice (a read repeated after a crash) finds nothing to do.
A case changed in Sidetalk meanwhile keeps Sidetalk's change (it goes to the platform
in turn). A resolved case stays resolved; an assignee who is not a member of the queue
here is not given the case (logged).
"""

from __future__ import annotations

import logging

from sqlalchemy import update

from widget.extensions import db
from widget.models import (
    Extension,
    Queue,
    QueueConversation,
    QueueEvent,
    QueueEventKind,
    ResolveReason,
)
from widget.models.types import utcnow
from widget.platforms.shapes import ThreadState
from widget.queues import events
from widget.queues.manage import membership

log = logging.getLogger(__name__)

EXPIRED = "ThreadExpired"  # the platform's own idle timeout


def apply_thread_states(states: list[ThreadState]) -> int:
    """Apply each state (its own transaction); return how many changed a case."""
    return sum(1 for state in states if apply_thread_state(state))


def _change(case: QueueConversation, holder_id: int | None, **values) -> bool:
    """Move the case if it is still open and held by ``holder_id`` (as read)."""
    held = (
        QueueConversation.claimed_by_id.is_(None)
        if holder_id is None
        else QueueConversation.claimed_by_id == holder_id
    )
    changed = db.session.execute(
        update(QueueConversation)
        .where(QueueConversation.id == case.id, QueueConversation.resolved_at.is_(None), held)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        return False
    db.session.refresh(case)
    return True


def apply_thread_state(state: ThreadState) -> list[QueueEvent]:
    """Bring the state's case to the thread's state; return the events recorded."""
    case = db.session.get(QueueConversation, state.case_id, populate_existing=True)
    if case is None or case.resolved_at is not None:
        db.session.rollback()
        return []
    now = utcnow()
    holder_id = case.claimed_by_id
    where = f"in {state.elsewhere}"
    if state.resolved_reason is not None:
        reason = (
            ResolveReason.TIMED_OUT if state.resolved_reason == EXPIRED else ResolveReason.RESOLVED
        )
        values = {
            "resolved_at": now,
            "resolved_by_id": None,
            "resolve_reason": reason,
            "resolve_text": where,
            "reply_due_since": None,
        }
        if not _change(case, holder_id, **values):
            return []
        recorded = events.record(
            case,
            QueueEventKind.RESOLVED,
            reason=reason.value,
            text=where,
            at=now,
            from_platform=True,
        )
    elif state.assignee_id == holder_id:
        db.session.rollback()
        return []  # nothing changed there that Sidetalk does not have
    elif state.assignee_id is None:
        back = {"claimed_by_id": None, "claimed_at": None, "reply_due_since": None}
        if not _change(case, holder_id, **back, waiting_since=now, notified_at=now):
            return []
        recorded = events.record(
            case, QueueEventKind.RELEASED, text=f"unassigned {where}", at=now, from_platform=True
        )
    else:
        assignee = db.session.get(Extension, state.assignee_id)
        queue = db.session.get(Queue, case.queue_id)
        if assignee is None or membership(queue, assignee) is None:
            log.warning(
                "thread %s assigned %s to someone outside queue %s: case %s left as it is",
                state.thread_id,
                where,
                case.queue_id,
                case.id,
            )
            db.session.rollback()
            return []
        claim = {"claimed_by_id": assignee.id, "claimed_at": now, "reply_due_since": now}
        if not _change(case, holder_id, **claim):
            return []
        if holder_id is None:
            recorded = events.record(
                case, QueueEventKind.CLAIMED, assignee, at=now, from_platform=True
            )
        else:
            recorded = events.record(
                case,
                QueueEventKind.TRANSFERRED,
                target_extension=assignee,
                at=now,
                from_platform=True,
            )
            recorded.actor_name = f"Someone {where}"
    events.commit_and_announce(case, [recorded])
    return [recorded]
