"""Platform calls after the commit: the outbox of read-status and availability changes.

A service that changes messages calls ``record_update`` inside its transaction: a
``PendingPlatformUpdate`` row commits (or rolls back) with the change. After the
commit it calls ``send_recorded_updates``, which tells the platform and deletes the
row. A crash, a failure or a platform asking to wait (``PlatformRetryable``, with its
``retry_after``) leaves the row, and ``platforms.tasks.send_pending_platform_updates``
makes the call later. The call never runs inside an open database transaction: what
it needs is read in a short session of its own, closed before the platform is called.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, inspect, select, update
from sqlalchemy.orm import Session, selectinload

from widget.access import Mailbox
from widget.extensions import db
from widget.models import Extension, Message, PendingPlatformUpdate, PlatformUpdateKind, ReadStatus
from widget.models.types import utcnow
from widget.platforms.base import PlatformRefused, PlatformRetryable
from widget.platforms.registry import get_platform

log = logging.getLogger(__name__)

_SESSION_KEY = "sidetalk_platform_updates"
# The sweeper leaves a new row this long to the request that committed it, and holds a
# row it took this long, so two sweepers never call the platform for the same row.
CLAIM = timedelta(seconds=60)
BACKOFF_MAX = timedelta(hours=1)
GIVE_UP = timedelta(days=1)  # past this, the platform has its own state: stop insisting
BATCH = 200


def record_update(
    extension: Extension, messages: Iterable[Message], kind: PlatformUpdateKind
) -> None:
    """Record, in the current transaction, that the platform must hear of ``messages``."""
    ids = [m.id for m in messages]
    if not ids:
        return
    row = PendingPlatformUpdate(
        extension_id=extension.id, kind=kind, message_ids=ids, not_before=utcnow() + CLAIM
    )
    db.session.add(row)
    db.session.info.setdefault(_SESSION_KEY, []).append(row)


def send_recorded_updates() -> None:
    """After a commit: make the platform calls recorded in it (none if it rolled back)."""
    for row in db.session.info.pop(_SESSION_KEY, []):
        # The row's identity, read without loading it again (the commit expired it).
        key = inspect(row).key
        if key is not None:
            _attempt(key[1][0])


def send_due_updates(now: datetime | None = None) -> int:
    """Make the calls whose rows were left behind and are due; return how many succeeded."""
    now = now or utcnow()
    due = db.session.execute(
        select(PendingPlatformUpdate.id, PendingPlatformUpdate.created_at)
        .where(PendingPlatformUpdate.not_before <= now)
        .order_by(PendingPlatformUpdate.id)
        .limit(BATCH)
    ).all()
    db.session.rollback()
    done = 0
    for row_id, created_at in due:
        if created_at <= now - GIVE_UP:
            log.warning("giving up on platform update %s after %s", row_id, GIVE_UP)
            _delete(row_id)
        elif _claim(row_id, now):
            done += _attempt(row_id)
    return done


def _claim(row_id: int, now: datetime) -> bool:
    claimed = db.session.execute(
        update(PendingPlatformUpdate)
        .where(PendingPlatformUpdate.id == row_id, PendingPlatformUpdate.not_before <= now)
        .values(not_before=now + CLAIM)
    ).rowcount
    db.session.commit()
    return claimed == 1


def _load(row_id: int):
    """Return (kind, attempts, extension, messages) of a row, or None once it is gone.

    Read in a session of its own and closed before returning: the objects keep what was
    loaded, and the caller's session (and its open objects) is left alone.
    """
    with Session(db.engine) as session:
        row = session.get(PendingPlatformUpdate, row_id)
        if row is None:
            return None
        extension = session.get(
            Extension,
            row.extension_id,
            options=[selectinload(Extension.account), selectinload(Extension.phone_numbers)],
        )
        messages = session.scalars(
            select(Message)
            .where(Message.id.in_(row.message_ids), Mailbox(row.extension_id).where(Message))
            .options(selectinload(Message.attachments))
            .order_by(Message.id)
        ).all()
        return row.kind, row.attempts, extension, list(messages)


def _call(kind: PlatformUpdateKind, extension: Extension, messages: list[Message]) -> None:
    """Tell the platform the messages' state now, grouped by value: a late call never
    undoes a newer change."""
    platform = get_platform()
    groups: dict[str, list[Message]] = defaultdict(list)
    for message in messages:
        value = (
            message.read_status if kind == PlatformUpdateKind.READ_STATUS else message.availability
        )
        groups[value].append(message)
    for value in sorted(groups):
        if kind == PlatformUpdateKind.READ_STATUS:
            platform.update_read_status(extension, groups[value], read=value == ReadStatus.READ)
        else:
            platform.update_availability(extension, groups[value], value)


def _attempt(row_id: int) -> bool:
    """Make one row's call; delete the row on success, else postpone it. Return success."""
    loaded = _load(row_id)
    if loaded is None:
        return False  # another process made the call meanwhile
    kind, attempts, extension, messages = loaded
    try:
        _call(kind, extension, messages)
    except PlatformRetryable as exc:
        wait = timedelta(seconds=exc.retry_after) if exc.retry_after else _backoff(attempts)
        _postpone(row_id, wait, exc.message)
        return False
    except PlatformRefused as exc:
        # Refused is final (e.g. the message is gone there): retrying cannot change it.
        log.warning("platform refused update %s (%s): %s; dropped", row_id, kind, exc.message)
        _delete(row_id)
        return False
    except Exception as exc:
        log.exception("platform update %s (%s) failed; will retry", row_id, kind)
        _postpone(row_id, _backoff(attempts), repr(exc))
        return False
    _delete(row_id)
    return True


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2**attempts), BACKOFF_MAX)


def _postpone(row_id: int, wait: timedelta, error: str) -> None:
    db.session.execute(
        update(PendingPlatformUpdate)
        .where(PendingPlatformUpdate.id == row_id)
        .values(
            attempts=PendingPlatformUpdate.attempts + 1,
            not_before=utcnow() + wait,
            last_error=error[:500],
        )
    )
    db.session.commit()


def _delete(row_id: int) -> None:
    db.session.execute(delete(PendingPlatformUpdate).where(PendingPlatformUpdate.id == row_id))
    db.session.commit()
