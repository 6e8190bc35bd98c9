"""Replayed RingCentral notifications: taken once, and only while fresh.

Every notification carries ``uuid`` ("universally unique identifier of a notification")
and ``timestamp`` ("date/time of sending a notification", ISO 8601 with its zone: the
2025 samples write ``...Z``, older ones ``...+0000``), per RingCentral's
``InstantMessageEvent`` and ``MessageEvent`` schemas. A notification whose uuid was
seen, or whose timestamp is outside the window, is a replay: it is acknowledged (an
error would make RingCentral retry it and, after repeated failures, blacklist the
subscription) and changes nothing. Uuids are remembered for as long as the window is
open; older ones are refused by their timestamp, so they are forgotten then.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from widget.extensions import db
from widget.models import WebhookReceipt
from widget.platforms.records import RecordError

MAX_AGE = timedelta(minutes=15)  # RingCentral delivers within seconds; retries soon after
MAX_AHEAD = timedelta(minutes=2)  # its clock may run a little ahead of ours
MAX_UUID = 64


def _stamp(event: Mapping) -> tuple[str, datetime]:
    uuid, timestamp = event.get("uuid"), event.get("timestamp")
    if not isinstance(uuid, str) or not uuid or len(uuid) > MAX_UUID or not uuid.isprintable():
        raise RecordError("the notification's uuid is missing or malformed")
    try:
        sent_at = datetime.fromisoformat(str(timestamp))
    except ValueError:
        raise RecordError(
            f"the notification's timestamp is not an ISO 8601 time: {timestamp!r}"
        ) from None
    if sent_at.tzinfo is None:
        raise RecordError("the notification's timestamp has no time zone")
    return uuid, sent_at


def first_sighting(event: Mapping, now: datetime) -> str | None:
    """Remember the notification; return why it is a replay, or None the first time.

    Raises ``RecordError`` when it lacks a usable uuid or timestamp.
    """
    uuid, sent_at = _stamp(event)
    if sent_at < now - MAX_AGE:
        return "ignored: sent too long ago (a replay)"
    if sent_at > now + MAX_AHEAD:
        return "ignored: stamped in the future"
    with Session(db.engine) as session:
        session.add(WebhookReceipt(notification_uuid=uuid, received_at=now))
        try:
            session.commit()
        except IntegrityError:  # the unique key decides, also between processes
            return "ignored: already received (a replay)"
    return None


def forget(event: Mapping) -> None:
    """Handling failed: let RingCentral's retry of this notification be taken."""
    with Session(db.engine) as session:
        session.execute(
            delete(WebhookReceipt).where(WebhookReceipt.notification_uuid == event.get("uuid"))
        )
        session.commit()


def forget_old(now: datetime) -> int:
    """Drop uuids whose notifications would be refused by their timestamp anyway."""
    with Session(db.engine) as session:
        gone = session.execute(
            delete(WebhookReceipt).where(WebhookReceipt.received_at < now - MAX_AGE - MAX_AHEAD)
        ).rowcount
        session.commit()
    return gone
