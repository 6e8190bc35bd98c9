"""Coalescing: a trailing debounce on each activity, capped so a busy thread still logs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from tests.crm.conftest import DAY, JANE, deliver, run_due
from widget.crm_logging import engine
from widget.extensions import db
from widget.jobs import huey
from widget.local_crm.models import LocalCrmActivity


def _writes() -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(select(LocalCrmActivity.revision_count)))


def _now() -> datetime:
    return datetime.now(UTC)


def test_messages_a_second_apart_are_one_write_after_the_last_one(world, app):
    app.config.update(CRM_LOG_COALESCE_SECONDS=2, CRM_LOG_COALESCE_MAX_SECONDS=30)
    with time_machine.travel(DAY.replace(hour=15), tick=False) as clock:
        engine.set_auto_log(world.alice, True)
        for n in range(10):  # ten seconds of traffic, longer than the 2-second delay
            deliver(world.alice, JANE, f"part {n}", _now())
            clock.shift(timedelta(seconds=1))
            assert run_due() in ([], ["deferred"])  # woken early: sleeps until the new due
        assert _writes() == []
        clock.shift(timedelta(seconds=1.5))
        assert run_due() == ["written"]
        [body] = db.session.scalars(select(LocalCrmActivity.body)).all()
        assert all(f"part {n}" in body for n in range(10))
        assert _writes() == [1] and list(huey.scheduled()) == []


def test_a_conversation_that_never_pauses_is_still_written_every_max_seconds(world, app):
    app.config.update(CRM_LOG_COALESCE_SECONDS=2, CRM_LOG_COALESCE_MAX_SECONDS=10)
    with time_machine.travel(DAY.replace(hour=15), tick=False) as clock:
        engine.set_auto_log(world.alice, True)
        started = _now()
        first_write = None
        for n in range(25):
            deliver(world.alice, JANE, f"part {n}", _now())
            clock.shift(timedelta(seconds=1))
            if "written" in run_due() and first_write is None:
                first_write = _now()
        assert first_write is not None
        assert (first_write - started) <= timedelta(seconds=11)
        assert 2 <= _writes()[0] <= 3  # 25 s of traffic, one write at most every ~10 s
