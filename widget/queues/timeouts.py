"""Automatic timeouts of queue cases, run by a periodic task (``tasks.sweep_queues``).

Three rules, each per queue and each off when its setting is None:

- unclaimed for ``claim_timeout_minutes`` → a TIMED_OUT event that notifies the available
  members again, and the case moves to the overflow queue if the queue has one;
- claimed and owing the customer an answer for ``no_reply_timeout_minutes`` → back to
  the queue (TIMED_OUT, reason ``no_reply``); text conversations only, as a voicemail
  or fax is answered by a call back, which no reply in the thread records;
- no message for ``idle_resolve_hours`` → resolved with the reason "Timed out".

``sweep(now)`` takes the time so tests travel in time instead of waiting. Every change is
a conditional UPDATE that still requires the state the sweep read, so a member claiming
or replying at the same moment wins over the sweep, never the other way round.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from widget.extensions import db
from widget.models import (
    Channel,
    Conversation,
    Queue,
    QueueConversation,
    QueueEventKind,
    ResolveReason,
)
from widget.models.types import utcnow
from widget.queues import events

QC = QueueConversation


def _apply(case: QueueConversation, condition: tuple, values: dict) -> bool:
    result = db.session.execute(
        update(QC)
        .where(QC.id == case.id, *condition)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _candidates(*where) -> list[tuple[QueueConversation, Queue]]:
    return list(
        db.session.execute(
            select(QC, Queue)
            .join(Queue, Queue.id == QC.queue_id)
            .where(QC.resolved_at.is_(None), *where)
            # Fresh rows: an earlier rule of this sweep may have moved a case already.
            .execution_options(populate_existing=True)
        ).all()
    )


def _unclaimed_too_long(now: datetime) -> list[tuple[QueueConversation, list]]:
    done = []
    for case, queue in _candidates(
        QC.claimed_by_id.is_(None), Queue.claim_timeout_minutes.is_not(None)
    ):
        limit = timedelta(minutes=queue.claim_timeout_minutes)
        since = max(case.waiting_since or case.opened_at, case.notified_at or case.opened_at)
        if since > now - limit:
            continue
        overflow = (
            db.session.get(Queue, queue.overflow_queue_id) if queue.overflow_queue_id else None
        )
        values = {"notified_at": now}
        if overflow is not None:
            values.update(queue_id=overflow.id, waiting_since=now)
        condition = (QC.claimed_by_id.is_(None), QC.resolved_at.is_(None), QC.queue_id == queue.id)
        if not _apply(case, condition, values):
            continue
        minutes = queue.claim_timeout_minutes
        recorded = [
            events.record(
                case,
                QueueEventKind.TIMED_OUT,
                reason="unclaimed",
                text=f"Unclaimed for {minutes} min",
                at=now,
            )
        ]
        if overflow is not None:
            recorded.append(
                events.record(case, QueueEventKind.OVERFLOWED, target_queue=overflow, at=now)
            )
        done.append((case, recorded))
    return done


def _unanswered_too_long(now: datetime) -> list[tuple[QueueConversation, list]]:
    done = []
    for case, queue in _candidates(
        QC.claimed_by_id.is_not(None),
        QC.reply_due_since.is_not(None),
        Queue.no_reply_timeout_minutes.is_not(None),
        # A voicemail or fax case is answered by a call back, not a text in its thread:
        # no reply can stop this clock there, so it does not run (the idle one still does).
        QC.conversation_id.in_(select(Conversation.id).where(Conversation.channel == Channel.TEXT)),
    ):
        if case.reply_due_since > now - timedelta(minutes=queue.no_reply_timeout_minutes):
            continue
        condition = (
            QC.claimed_by_id == case.claimed_by_id,
            QC.reply_due_since == case.reply_due_since,
        )
        values = {
            "claimed_by_id": None,
            "claimed_at": None,
            "reply_due_since": None,
            "waiting_since": now,
            "notified_at": now,
        }
        if not _apply(case, condition, values):
            continue
        text = f"No reply for {queue.no_reply_timeout_minutes} min; back to the queue"
        event = events.record(case, QueueEventKind.TIMED_OUT, reason="no_reply", text=text, at=now)
        done.append((case, [event]))
    return done


def _idle_too_long(now: datetime) -> list[tuple[QueueConversation, list]]:
    done = []
    for case, queue in _candidates(Queue.idle_resolve_hours.is_not(None)):
        if case.last_message_at > now - timedelta(hours=queue.idle_resolve_hours):
            continue
        condition = (QC.resolved_at.is_(None), QC.last_message_at == case.last_message_at)
        values = {
            "resolved_at": now,
            "resolved_by_id": None,
            "resolve_reason": ResolveReason.TIMED_OUT,
            "reply_due_since": None,
        }
        if not _apply(case, condition, values):
            continue
        event = events.record(
            case, QueueEventKind.RESOLVED, reason=ResolveReason.TIMED_OUT.value, at=now
        )
        done.append((case, [event]))
    return done


def sweep(now: datetime | None = None) -> int:
    """Apply every timeout due at ``now``; commit, announce; return how many cases moved."""
    now = now or utcnow()
    changed = _idle_too_long(now) + _unanswered_too_long(now) + _unclaimed_too_long(now)
    db.session.commit()
    for case, recorded in changed:
        db.session.refresh(case)
        events.announce(case, recorded)
    return len(changed)
