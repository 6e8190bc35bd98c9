"""Rate-limit blocks and webhook receipts in the database, on SQLite and PostgreSQL,
without HTTP: what two processes share when no Redis is configured."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from widget.models.types import utcnow
from widget.platforms.records import RecordError
from widget.platforms.ringcentral import replay
from widget.platforms.ringcentral.throttle import DatabaseBlocks


@pytest.fixture(params=["sqlite", "postgresql"])
def store_app(request):
    return request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")


def test_a_block_is_read_back_replaced_and_kept_per_user_and_group(store_app):
    blocks = DatabaseBlocks()
    with store_app.app_context():
        assert blocks.blocked_until("1", "Medium") == 0.0
        until = time.time() + 60
        blocks.block("1", "Medium", until)
        blocks.block("1", "Medium", until + 30)  # a later penalty replaces the first
        assert blocks.blocked_until("1", "Medium") == pytest.approx(until + 30)
        assert blocks.blocked_until("1", "Light") == 0.0
        assert blocks.blocked_until("2", "Medium") == 0.0


def test_two_processes_blocking_at_once_leave_one_row(store_app):
    from widget.extensions import db
    from widget.models import PlatformRateBlock

    blocks, errors = DatabaseBlocks(), []
    start = threading.Barrier(4)

    def block(seconds: int):
        with store_app.app_context():
            start.wait()
            try:
                blocks.block("7", "Heavy", time.time() + seconds)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=block, args=(s,)) for s in (10, 20, 30, 40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    with store_app.app_context():
        assert db.session.query(PlatformRateBlock).count() == 1
        assert blocks.blocked_until("7", "Heavy") > time.time()


def _event(uuid: str, at) -> dict:
    return {"uuid": uuid, "timestamp": at.isoformat()}


def test_a_uuid_is_taken_once_and_forgotten_after_the_window(store_app):
    now = utcnow()
    with store_app.app_context():
        assert replay.first_sighting(_event("u-1", now), now) is None
        assert "already received" in replay.first_sighting(_event("u-1", now), now)
        later = now + replay.MAX_AGE + replay.MAX_AHEAD + timedelta(seconds=1)
        assert replay.forget_old(later) == 1
        assert replay.first_sighting(_event("u-1", later), later) is None


def test_the_window_and_bad_stamps(store_app):
    now = utcnow()
    with store_app.app_context():
        old = now - replay.MAX_AGE - timedelta(seconds=1)
        ahead = now + replay.MAX_AHEAD + timedelta(seconds=1)
        assert "too long ago" in replay.first_sighting(_event("u-2", old), now)
        assert "future" in replay.first_sighting(_event("u-3", ahead), now)
        for event in ({"timestamp": now.isoformat()}, {"uuid": "u-4", "timestamp": "2025-07-30"}):
            with pytest.raises(RecordError):
                replay.first_sighting(event, now)
