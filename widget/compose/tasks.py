"""Background work of sending: follow each outbound message until its status is final.

``track_delivery`` asks the platform for the message's current record and ingests it (a
newer version updates the status and announces ``messages_changed``, like any event), then
schedules itself again until the status is final or the attempts run out. RingCentral also
pushes status changes as events; polling is the safety net there, and on the sandbox it is
what moves the simulated carrier. ``sweep_outbound`` re-queues messages whose tracking was
lost (a crash between the commit and the enqueue, a worker restart).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from huey import crontab
from sqlalchemy import select

from widget.extensions import db
from widget.inbox.announce import announce, send_announcements
from widget.inbox.ingest import ingest_record
from widget.jobs import app_periodic_task, app_task
from widget.models import Direction, Extension, Message, MessageStatus, MessageType
from widget.models.types import utcnow
from widget.platforms import get_platform

log = logging.getLogger(__name__)

FAILED = frozenset({MessageStatus.SENDING_FAILED, MessageStatus.DELIVERY_FAILED})
FINAL = {
    MessageType.SMS: FAILED | {MessageStatus.DELIVERED},
    MessageType.FAX: FAILED | {MessageStatus.SENT, MessageStatus.DELIVERED},
    MessageType.PAGER: FAILED | {MessageStatus.SENT, MessageStatus.DELIVERED},
}
STALE_AFTER = timedelta(minutes=5)
GIVE_UP_AFTER = timedelta(days=2)


def is_final(message: Message) -> bool:
    return message.message_status in FINAL.get(message.type, FAILED)


def schedule_tracking(message_id: int, attempt: int = 0) -> None:
    """Queue the next status check; with no delay configured it runs now (tests, immediate)."""
    delay = current_app.config["DELIVERY_POLL_SECONDS"]
    if delay <= 0:
        track_delivery(message_id, attempt)
    else:
        track_delivery.schedule((message_id, attempt), delay=delay)


@app_task()
def track_delivery(message_id: int, attempt: int = 0) -> None:
    """Ingest the platform's current record of the message; go again unless it is final."""
    message = db.session.get(Message, message_id)
    if message is None or message.direction != Direction.OUTBOUND:
        return
    extension = db.session.get(Extension, message.extension_id)
    platform = get_platform()
    try:
        record = platform.message_status(extension, message)
        result = ingest_record(extension, record, platform.name)
        if result.changed:
            announce(extension, [message_id], "updated")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    send_announcements()
    if is_final(result.message):
        return
    if attempt + 1 >= current_app.config["DELIVERY_POLL_ATTEMPTS"]:
        log.info(
            "message %s still %s after %d checks", message_id, message.message_status, attempt + 1
        )
        return
    schedule_tracking(message_id, attempt + 1)


def unfinished_outbound(now=None) -> list[int]:
    """Ids of outbound messages that stopped moving before a final status."""
    now = now or utcnow()
    pending = (MessageStatus.QUEUED, MessageStatus.SENT)
    rows = db.session.scalars(
        select(Message)
        .where(
            Message.direction == Direction.OUTBOUND,
            Message.message_status.in_(pending),
            Message.last_modified_at < now - STALE_AFTER,
            Message.created_at > now - GIVE_UP_AFTER,
        )
        .order_by(Message.id)
        .limit(500)
    )
    return [m.id for m in rows if not is_final(m)]


@app_periodic_task(crontab(minute="*/5"))
def sweep_outbound() -> None:
    """Re-queue status tracking for outbound messages whose tracking was lost."""
    for message_id in unfinished_outbound():
        schedule_tracking(message_id)
