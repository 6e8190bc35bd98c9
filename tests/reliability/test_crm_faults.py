"""Auto-log into a CRM that answers 401, 429, 5xx, times out or answers slowly.

Live traffic on PostgreSQL: each day two messages arrive for Alice (auto-log on) while
the fake Salesforce misbehaves in one way. Then the retries run at their times and the
sweeper passes a day later. Counted at the fake: one Task per conversation-day holding
every message of the day, no duplicate, nothing pending.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine

from tests.crm.conftest import DAY, JANE, NOON_UTC, deliver, drain
from tests.reliability.conftest import assert_each_activity_in_the_crm_once
from widget.crm_logging import engine, tasks

pytestmark = [pytest.mark.reliability, pytest.mark.postgres]


def _expired_token(fake) -> None:
    fake.expire_access_tokens()  # 401 INVALID_SESSION_ID, then a refresh


def _rate_limited(fake) -> None:
    fake.fail_next("POST sobjects/Task", 429, headers={"Retry-After": "30"})


def _unavailable(fake) -> None:
    fake.fail_next("POST sobjects/Task", 503)


def _server_error_page(fake) -> None:
    fake.fail_next("POST sobjects/Task", 500, body="<html>Internal Server Error</html>")


def _slow_beyond_the_timeout(fake) -> None:
    fake.latency = 1.5  # the client gives up after CRM_HTTP_TIMEOUT; the Task lands anyway


def _slow_within_the_timeout(fake) -> None:
    fake.latency = 0.3


FAULTS = [
    _expired_token,
    _rate_limited,
    _unavailable,
    _server_error_page,
    _slow_beyond_the_timeout,
    _slow_within_the_timeout,
]


def test_auto_log_through_every_crm_fault_writes_each_day_once(sf_pg, pg_app):
    pg_app.config["CRM_HTTP_TIMEOUT"] = 0.7
    fake, alice = sf_pg.fake, sf_pg.world.alice
    with time_machine.travel(DAY.replace(hour=16, minute=30), tick=True):
        engine.set_auto_log(alice, True)
        engine.find_records(alice, JANE)  # the match is cached: the faults hit the writes
    for day, fault in enumerate(FAULTS):
        arrival = NOON_UTC + timedelta(days=day)
        fault(fake)
        with time_machine.travel(arrival, tick=True):
            deliver(alice, JANE, f"{fault.__name__} first", arrival)
            if fake.latency > 1:
                _wait_for_tasks(fake, day + 1)  # the create that timed out still landed
            fake.latency = 0.0
            deliver(alice, JANE, f"{fault.__name__} second", arrival + timedelta(minutes=1))

    drain()  # every retry at its own time (Retry-After, backoff)
    # The sweeper, soon after the last day: the slow day's contact lookup timed out too,
    # so its first message was left unlooked-at for the sweeper to auto-log.
    with time_machine.travel(NOON_UTC + timedelta(days=len(FAULTS)), tick=True):
        tasks.sweep()
        drain()
    assert_each_activity_in_the_crm_once(fake)
    written = {task["ActivityDate"]: task["Description"] for task in fake.records("Task")}
    assert len(written) == len(FAULTS)
    for day, fault in enumerate(FAULTS):
        body = written[(DAY + timedelta(days=day)).date().isoformat()]
        assert f"{fault.__name__} first" in body and f"{fault.__name__} second" in body


def _wait_for_tasks(fake, count: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while len(fake.records("Task")) < count and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for the fake's request thread, not for a timer
