"""Scheduled-send tests: each starts and ends with an empty job schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from widget.jobs import huey

JANE = "+14155550123"
ALICE_SMS = "+16505550101"
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def tomorrow_at(hour: int) -> str:
    """A send time for Alice (New York) tomorrow by the real clock: for tests where the
    sweep or ``send_due_now`` reads the real clock, so a fixed date would fall due."""
    local = datetime.now(ZoneInfo("America/New_York")) + timedelta(days=1)
    return local.replace(hour=hour, minute=15).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture(autouse=True)
def empty_job_schedule():
    """Wake-ups a test scheduled for later must not run in another test."""
    huey.flush()
    yield
    huey.flush()


@pytest.fixture
def alice(demo_ctx):
    """Alice (101), with Jane's text waiting in her inbox."""
    from tests.compose.conftest import extension
    from tests.realtime.conftest import deliver

    deliver(JANE, ALICE_SMS, "Send me the plan please")
    return extension("101")
