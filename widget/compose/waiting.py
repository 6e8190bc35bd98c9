"""Outbound messages the platform could not take yet: stored Queued, sent again later.

A rate limit (429) or an outage (5xx, no answer, a timeout) does not lose the message:
it is stored at once as Queued with a ``status_note`` that says why it waits, and a
``PendingSend`` row keeps what to send. ``resend`` tries again when RingCentral said it
may (``Retry-After``) or after a backoff. Waiting on a rate limit is not a failure and
never gives up; outages count, and after ``MAX_ATTEMPTS`` the message is SendingFailed
with the reason shown. The sweeper picks up rows whose scheduled retry was lost.

An outage may hide a send RingCentral took (the answer timed out) and RingCentral has no
idempotency key: before sending again after one, ``resend`` asks the platform for the
outbound messages like this one since the first attempt and adopts the match instead.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from flask import current_app
from huey import crontab
from sqlalchemy import select, update

from widget import media
from widget.extensions import db
from widget.inbox.announce import announce, send_announcements
from widget.inbox.ingest import ingest_record, refresh_conversation
from widget.jobs import app_periodic_task, app_task
from widget.models import Extension, Message, MessageStatus, MessageType, PendingSend
from widget.models.types import utcnow
from widget.platforms import get_platform
from widget.platforms.base import (
    Outbound,
    OutboundPart,
    PlatformRateLimited,
    PlatformRefused,
    PlatformRetryable,
)
from widget.platforms.records import parse_time

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# How far before the first attempt a platform's record of it may be stamped (clock skew).
RECONCILE_SKEW = timedelta(seconds=10)
CLAIM = timedelta(seconds=60)
PLACEHOLDER_PREFIX = "pending-"


def _iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _note(exc: PlatformRetryable) -> str:
    if isinstance(exc, PlatformRateLimited):
        seconds = round(exc.retry_after or 60)
        return f"Waiting for RingCentral's sending limit; sending in about {seconds} s."
    return f"Not sent yet: {exc.message} Trying again shortly."


def _payload(outbound: Outbound, attempted_at) -> dict:
    return {
        "attempted_at": _iso(attempted_at),
        "type": outbound.type.value,
        "sender": outbound.sender,
        "recipients": list(outbound.recipients),
        "text": outbound.text,
        "cover_page_text": outbound.cover_page_text,
        "conversation_id": outbound.conversation_id,
        "parts": [
            {"path": media.store_bytes(p.data), "type": p.content_type, "name": p.filename}
            for p in outbound.parts
        ],
    }


def _outbound(payload: dict) -> Outbound:
    return Outbound(
        type=MessageType(payload["type"]),
        sender=payload["sender"],
        recipients=tuple(payload["recipients"]),
        text=payload.get("text") or "",
        parts=tuple(
            OutboundPart(p["type"], media.read_bytes(p["path"]), p["name"])
            for p in payload.get("parts") or []
        ),
        cover_page_text=payload.get("cover_page_text") or "",
        conversation_id=payload.get("conversation_id"),
    )


def _placeholder_record(outbound: Outbound) -> dict:
    now = _iso(utcnow())
    key = "extensionNumber" if outbound.type == MessageType.PAGER else "phoneNumber"
    record = {
        "id": PLACEHOLDER_PREFIX + uuid.uuid4().hex,
        "type": outbound.type.value,
        "direction": "Outbound",
        "from": {key: outbound.sender},
        "to": [{key: r} for r in outbound.recipients],
        "subject": outbound.text,
        "messageStatus": "Queued",
        "readStatus": "Read",
        "availability": "Alive",
        "creationTime": now,
        "lastModifiedTime": now,
    }
    if outbound.conversation_id:
        record["conversation"] = {"id": outbound.conversation_id}
    return record


def hold(
    extension: Extension, outbound: Outbound, exc: PlatformRetryable, attempted_at=None
) -> Message:
    """Store ``outbound`` as a Queued message that says why it waits; retry it later.

    ``attempted_at``: when the platform was first asked (the window to reconcile from).
    """
    platform = get_platform()
    attempted_at = attempted_at or utcnow()
    wait = _wait(exc, 0)
    try:
        message = ingest_record(extension, _placeholder_record(outbound), platform.name).message
        message.status_note = _note(exc)
        db.session.add(
            PendingSend(
                message_id=message.id,
                payload=_payload(outbound, attempted_at),
                not_before=utcnow() + wait,
                last_error=exc.message[:500],
                attempts=0 if isinstance(exc, PlatformRateLimited) else 1,
            )
        )
        announce(extension, [message.id], "created")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    send_announcements()
    _schedule(message.id, wait)
    return message


def _wait(exc: PlatformRetryable, attempts: int) -> timedelta:
    if exc.retry_after is not None:
        return timedelta(seconds=exc.retry_after)
    base = current_app.config.get("SEND_RETRY_SECONDS", 5)
    return timedelta(seconds=base * (2**attempts))


def _schedule(message_id: int, wait: timedelta) -> None:
    if wait <= timedelta(0):
        resend(message_id)
    else:
        resend.schedule((message_id,), delay=wait.total_seconds())


def _claim(message_id: int) -> bool:
    now = utcnow()
    claimed = db.session.execute(
        update(PendingSend)
        .where(PendingSend.message_id == message_id, PendingSend.not_before <= now)
        .values(not_before=now + CLAIM)
    ).rowcount
    db.session.commit()
    return claimed == 1


@app_task()
def resend(message_id: int) -> str:
    """Send a waiting message again; return what happened."""
    if not _claim(message_id):
        return "not due"
    row = db.session.get(PendingSend, message_id)
    message = db.session.get(Message, message_id)
    extension = db.session.get(Extension, message.extension_id)
    outbound, attempts = _outbound(row.payload), row.attempts
    attempted_at = row.payload.get("attempted_at") or _iso(row.created_at)
    db.session.commit()  # nothing open while the platform is called
    platform = get_platform()
    try:
        # A counted failure is an outage, which may hide a send the platform took.
        taken = _already_taken(extension, message_id, outbound, attempted_at) if attempts else None
        if taken is not None:
            return _adopt(extension, message_id, taken)
        record = platform.send_message(extension, outbound)
    except PlatformRateLimited as exc:
        return _postpone(message_id, exc, attempts, counts=False)
    except PlatformRetryable as exc:
        if attempts + 1 >= MAX_ATTEMPTS:
            return _fail(message_id, f"Not sent: {exc.message}")
        return _postpone(message_id, exc, attempts, counts=True)
    except PlatformRefused as exc:
        return _fail(message_id, exc.message)
    return _adopt(extension, message_id, record)


def _already_taken(
    extension: Extension, message_id: int, outbound: Outbound, attempted_at: str
) -> dict | None:
    """The platform's record of this send if an earlier attempt went through unanswered.

    A record nobody else holds locally wins. A record another local message holds is this
    send's copy only if RingCentral stamped it after the first attempt began (a sync
    stored it first: ``_adopt`` merges the two); stamped before, it is an earlier send of
    the same text, answered and kept, and must not be taken for this one.
    """
    attempted = parse_time(attempted_at, "attempted_at")
    found = get_platform().sent_since(extension, outbound, _iso(attempted - RECONCILE_SKEW))
    if not found:
        return None
    ids = [str(r["id"]) for r in found]
    holders = dict(
        db.session.execute(
            select(Message.platform_message_id, Message.created_at).where(
                Message.extension_id == extension.id,
                Message.platform_message_id.in_(ids),
                Message.id != message_id,
            )
        ).all()
    )
    db.session.commit()
    unheld = [r for r in found if str(r["id"]) not in holders]
    if unheld:
        return unheld[0]
    synced_after = [r for r in found if holders[str(r["id"])] >= attempted]
    return synced_after[0] if synced_after else None


def _postpone(message_id: int, exc: PlatformRetryable, attempts: int, counts: bool) -> str:
    wait = _wait(exc, attempts)
    db.session.execute(
        update(PendingSend)
        .where(PendingSend.message_id == message_id)
        .values(
            attempts=attempts + int(counts),
            not_before=utcnow() + wait,
            last_error=exc.message[:500],
        )
    )
    message = db.session.get(Message, message_id)
    message.status_note = _note(exc)
    extension = db.session.get(Extension, message.extension_id)
    announce(extension, [message_id], "updated")
    db.session.commit()
    send_announcements()
    _schedule(message_id, wait)
    return "waiting"


def _fail(message_id: int, reason: str) -> str:
    message = db.session.get(Message, message_id)
    message.message_status = MessageStatus.SENDING_FAILED
    message.status_note = reason[:300]
    message.last_modified_at = utcnow()
    db.session.delete(db.session.get(PendingSend, message_id))
    extension = db.session.get(Extension, message.extension_id)
    announce(extension, [message_id], "updated")
    db.session.commit()
    send_announcements()
    return "failed"


def _adopt(extension: Extension, message_id: int, record: dict) -> str:
    """The platform took it: the stored message becomes the platform's record."""
    from widget.compose.tasks import schedule_tracking

    platform = get_platform()
    message = db.session.get(Message, message_id)
    db.session.delete(db.session.get(PendingSend, message_id))
    synced = db.session.scalar(
        select(Message).where(
            Message.platform == platform.name, Message.platform_message_id == str(record["id"])
        )
    )
    if synced is not None:
        # A sync (its webhook is quick) stored the platform's record first: keep that one.
        conversation = message.conversation
        db.session.delete(message)
        db.session.flush()
        refresh_conversation(conversation)
        message = synced
    else:
        message.platform_message_id = str(record["id"])
        message.status_note = None
        db.session.flush()
    ingest_record(extension, record, platform.name)
    announce(extension, [message.id], "updated")
    db.session.commit()
    send_announcements()
    schedule_tracking(message.id)
    return "sent"


@app_periodic_task(crontab(minute="*"))
def sweep_pending_sends() -> int:
    """Retry waiting messages whose scheduled retry was lost (a restart, a crash)."""
    due = list(
        db.session.scalars(
            select(PendingSend.message_id).where(PendingSend.not_before <= utcnow()).limit(100)
        )
    )
    db.session.commit()
    for message_id in due:
        resend(message_id)
    return len(due)
