"""The one way a message leaves Sidetalk: claim the form's key, ask the platform, ingest.

Order matters for the guarantees:
1. ``claim`` commits a ``SendRequest`` row for the form's idempotency key *before* the
   platform is called: a double submit (two clicks, a retried POST) finds the row (the
   unique constraint decides between concurrent requests) and replays the first result.
2. ``send_one`` calls ``Platform.send_message`` and ingests the returned record (Queued)
   with ``ingest_record`` -- the same path as inbound messages -- announces it with the
   commit (``widget.inbox.announce``) and schedules the status task. Each message is
   committed as soon as the platform has accepted it, so a crash later in a
   multi-recipient send never loses one that went out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from widget.access import personal_to
from widget.compose.waiting import hold
from widget.errors import Invalid
from widget.extensions import db
from widget.inbox.announce import announce, send_announcements
from widget.inbox.ingest import ingest_record
from widget.models import Extension, Message, MessageType, SendRequest
from widget.models.types import utcnow
from widget.platforms import get_platform
from widget.platforms.base import Outbound, PlatformRetryable

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,80}$")


@dataclass(frozen=True)
class Claim:
    request: SendRequest
    fresh: bool  # False: the key was used before and ``request.outcome`` is its result


def check_key(key: str) -> str:
    """Return ``key`` if it is a form key we could have issued; ``Invalid`` otherwise."""
    if not IDEMPOTENCY_KEY.match(key or ""):
        raise Invalid("This form is missing its send key; reopen it and send again.", "key")
    return key


def _find(extension: Extension, key: str) -> SendRequest | None:
    return db.session.scalar(
        select(SendRequest).where(
            personal_to(extension, SendRequest.extension_id), SendRequest.idempotency_key == key
        )
    )


def claim(extension: Extension, key: str) -> Claim:
    """Claim ``key`` for ``extension`` (committed), or return the earlier claim of it."""
    existing = _find(extension, key)
    if existing is not None:
        return Claim(existing, fresh=False)
    request = SendRequest(extension_id=extension.id, idempotency_key=key, outcome={})
    db.session.add(request)
    try:
        db.session.commit()
    except IntegrityError:
        # A concurrent submit of the same form committed first: replay its result.
        db.session.rollback()
        return Claim(_find(extension, key), fresh=False)
    return Claim(request, fresh=True)


def release(request: SendRequest) -> None:
    """Give ``request``'s key back: nothing went out, so the same form may be sent again
    (a key kept here would answer "already sent" for a message that does not exist)."""
    request_id = request.id
    db.session.rollback()
    db.session.execute(delete(SendRequest).where(SendRequest.id == request_id))
    db.session.commit()


def complete(request: SendRequest, outcome: dict) -> None:
    request.outcome = outcome
    request.completed_at = utcnow()
    db.session.commit()


def send_one(extension: Extension, outbound: Outbound) -> Message:
    """Send through the platform, store the returned record, commit, announce, track.

    Raises ``PlatformRefused`` (nothing stored) when the platform does not accept it; a
    platform asking to wait (rate limit, outage) gets a Queued message that waits.
    """
    from widget.compose.tasks import schedule_tracking, track_delivery

    platform = get_platform()
    attempted_at = utcnow()
    try:
        record = platform.send_message(extension, outbound)
    except PlatformRetryable as exc:
        # Not refused, only not now: the message is kept Queued and sent when it may be.
        return hold(extension, outbound, exc, attempted_at)
    try:
        message = ingest_record(extension, record, platform.name).message
        announce(extension, [message.id], "created")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    send_announcements()
    if message.type == MessageType.PAGER:
        # Internal: colleagues get their copies now, as fast as an SMS reaches a phone,
        # not one status poll later.
        track_delivery.call_local(message.id)
    else:
        schedule_tracking(message.id)
    return message


def sent_item(message: Message, label: str) -> dict:
    """What an outcome remembers of one sent message (JSON, replayed on double submit)."""
    return {
        "message_id": message.id,
        "conversation_id": message.conversation_id,
        "label": label,
    }
