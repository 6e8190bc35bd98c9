"""Recording what should be in the CRM, before any CRM call is made.

An intent is a ``CrmActivity`` row (one per conversation-day-record, unique) plus one
``MessageLog`` row per message (unique per message and record). Both are inserted in
savepoints so two workers recording the same intent end with one row each, and every
change bumps ``revision`` with one atomic UPDATE, which is what tells the writer that
the CRM is behind. Callers commit, then schedule the write (``tasks.schedule_write``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import case, func, literal, select, update

from connectors.records import MatchedRecord
from widget.access import activities_visible_to, messages_visible_to
from widget.crm_logging.grouping import day_bounds, group_by_day
from widget.extensions import db
from widget.models import (
    ActivityState,
    Availability,
    Channel,
    Conversation,
    CrmActivity,
    Extension,
    Message,
    MessageLog,
)
from widget.models.queries import insert_once
from widget.models.types import UTCDateTime, utcnow

LOGGABLE_CHANNELS = (Channel.TEXT, Channel.VOICEMAIL, Channel.FAX)


def day_messages(extension: Extension, conversation: Conversation, day: date) -> list[Message]:
    """Return the conversation's live messages of the user's ``day``, oldest first."""
    start, end = day_bounds(extension, day)
    return list(
        db.session.scalars(
            select(Message)
            .where(
                messages_visible_to(extension),
                Message.conversation_id == conversation.id,
                Message.availability == Availability.ALIVE,
                Message.created_at >= start,
                Message.created_at < end,
            )
            .order_by(Message.created_at, Message.id)
        )
    )


def unlogged_days(extension: Extension, conversation: Conversation, record_id: str) -> list[date]:
    """Return the days (oldest first) with live messages not yet logged to ``record_id``."""
    linked = select(MessageLog.message_id).where(MessageLog.record_id == record_id)
    messages = db.session.scalars(
        select(Message).where(
            messages_visible_to(extension),
            Message.conversation_id == conversation.id,
            Message.availability == Availability.ALIVE,
            Message.id.not_in(linked),
        )
    )
    return list(group_by_day(extension, messages))


def find_activity(
    extension: Extension, conversation: Conversation, day: date, record_id: str
) -> CrmActivity | None:
    return db.session.scalar(
        select(CrmActivity).where(
            activities_visible_to(extension),
            CrmActivity.queue_conversation_id.is_(None),  # a day's, not a case's
            CrmActivity.conversation_id == conversation.id,
            CrmActivity.log_date == day,
            CrmActivity.record_id == record_id,
        )
    )


def pending_activity(
    extension: Extension,
    conversation_id: int,
    day: date,
    record: MatchedRecord,
    connector_id: str,
    fields: Mapping[str, Any],
    case_id: int | None = None,
) -> CrmActivity:
    """A new activity row (not yet added) for ``record``; ``case_id`` makes it a case's."""
    return CrmActivity(
        extension_id=extension.id,
        conversation_id=conversation_id,
        queue_conversation_id=case_id,
        connector_id=connector_id,
        log_date=day,
        record_id=record.id,
        record_name=record.name[:255],
        record_type=record.type[:64],
        record_phone=fields.get("record_phone"),
        related_to_id=fields.get("related_to_id"),
        additional_submission=dict(fields.get("additional_submission") or {}),
        state=ActivityState.PENDING,
        revision=0,  # the first bump makes it 1
    )


def insert_or_existing(
    activity: CrmActivity, find: Callable[[], CrmActivity | None]
) -> tuple[CrmActivity, bool]:
    """Insert ``activity``, or return the row another worker recorded first (the unique
    constraint keeps one); and whether ours was inserted."""
    if insert_once(activity):
        return activity, True
    existing = find()
    if existing is None:
        raise RuntimeError(
            f"activity of conversation {activity.conversation_id} refused, yet not found"
        )
    return existing, False


def _activity(
    extension: Extension,
    conversation: Conversation,
    day: date,
    record: MatchedRecord,
    connector_id: str,
    fields: Mapping[str, Any],
) -> tuple[CrmActivity, bool]:
    """Return the activity of this conversation-day-record and whether it was just made."""
    found = find_activity(extension, conversation, day, record.id)
    if found is not None:
        return found, False
    activity = pending_activity(extension, conversation.id, day, record, connector_id, fields)
    return insert_or_existing(
        activity, lambda: find_activity(extension, conversation, day, record.id)
    )


def link(activity: CrmActivity, message_ids: Iterable[int]) -> int:
    """Link messages to the activity; return how many were not linked before."""
    wanted = set(message_ids)
    if not wanted:
        return 0
    already = set(
        db.session.scalars(
            select(MessageLog.message_id).where(
                MessageLog.record_id == activity.record_id, MessageLog.message_id.in_(wanted)
            )
        )
    )
    added = 0
    for message_id in sorted(wanted - already):
        link = MessageLog(
            message_id=message_id, record_id=activity.record_id, activity_id=activity.id
        )
        if insert_once(link):  # False when linked concurrently: unique (message, record)
            added += 1
    return added


def record_intent(
    extension: Extension,
    conversation: Conversation,
    day: date,
    record: MatchedRecord,
    connector_id: str,
    message_ids: Iterable[int],
    *,
    related_to_id: str | None = None,
    additional_submission: Mapping[str, Any] | None = None,
    record_phone: str | None = None,
    from_user: bool = False,
) -> tuple[CrmActivity, bool]:
    """Record that ``message_ids`` belong in the activity of ``day`` for ``record``.

    Returns the activity and whether the CRM now needs a write. ``from_user`` marks an
    explicit Log: its fields replace the stored ones and a failed activity is retried;
    auto-log only adds messages (a failure stays visible until the user retries).
    The caller commits.
    """
    fields = {
        "related_to_id": related_to_id,
        "additional_submission": additional_submission,
        "record_phone": record_phone,
    }
    activity, created = _activity(extension, conversation, day, record, connector_id, fields)
    changed = created
    if from_user:
        new_fields = (
            record.name[:255],
            record.type[:64],
            related_to_id,
            dict(additional_submission or {}),
        )
        old_fields = (
            activity.record_name,
            activity.record_type,
            activity.related_to_id,
            activity.additional_submission,
        )
        if new_fields != old_fields:
            (
                activity.record_name,
                activity.record_type,
                activity.related_to_id,
                activity.additional_submission,
            ) = new_fields
            changed = True
    changed = link(activity, message_ids) > 0 or changed
    retry = from_user and activity.state == ActivityState.FAILED
    if changed or retry:
        bump(activity, reset_failure=from_user)
    return activity, changed or retry


def bump(activity: CrmActivity, reset_failure: bool) -> None:
    """Atomically mark the activity dirty (revision + 1), and pending unless it failed."""
    db.session.flush()
    now = utcnow()
    values: dict[str, Any] = {
        "revision": CrmActivity.revision + 1,
        "updated_at": now,
        "dirty_since": func.coalesce(CrmActivity.dirty_since, literal(now, UTCDateTime())),
    }
    if reset_failure:
        values |= {
            "state": ActivityState.PENDING,
            "attempts": 0,
            "last_error": None,
            "next_attempt_at": None,
        }
    else:
        values["state"] = case(
            (CrmActivity.state == ActivityState.FAILED.value, CrmActivity.state),
            else_=ActivityState.PENDING.value,
        )
    db.session.execute(
        update(CrmActivity)
        .where(CrmActivity.id == activity.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(activity)
