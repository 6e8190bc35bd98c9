"""Conversation-days are calendar days in the USER's time zone, decided on the server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from tests.crm.conftest import JANE, deliver
from widget.crm_logging import engine
from widget.crm_logging.grouping import day_bounds, group_by_day, local_day
from widget.extensions import db
from widget.local_crm.models import LocalCrmActivity
from widget.models import Conversation, CrmActivity, Extension


def _at_local(extension: Extension, day: date, hour: int, minute: int) -> datetime:
    start, _ = day_bounds(extension, day)
    return start + timedelta(hours=hour, minutes=minute)


def test_the_same_instants_fall_on_different_days_for_new_york_and_tokyo(world):
    # 03:30 and 04:30 UTC on Nov 18 are 22:30/23:30 on Nov 17 in New York and
    # 12:30/13:30 on Nov 18 in Tokyo; 15:30 UTC is Nov 18 in New York, Nov 19 in Tokyo.
    instants = [
        datetime(2026, 11, 18, 3, 30, tzinfo=UTC),
        datetime(2026, 11, 18, 4, 30, tzinfo=UTC),
        datetime(2026, 11, 18, 15, 30, tzinfo=UTC),
    ]
    new_york = [local_day(world.alice, t) for t in instants]
    tokyo = [local_day(world.erin, t) for t in instants]
    assert new_york == [date(2026, 11, 17), date(2026, 11, 17), date(2026, 11, 18)]
    assert tokyo == [date(2026, 11, 18), date(2026, 11, 18), date(2026, 11, 19)]


def test_day_bounds_follow_daylight_saving_time(world):
    # New York leaves DST on Nov 1, 2026: that local day lasts 25 hours.
    start, end = day_bounds(world.alice, date(2026, 11, 1))
    assert start == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=25)
    start, end = day_bounds(world.erin, date(2026, 11, 1))
    assert start == datetime(2026, 10, 31, 15, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=24)


def _activities(extension: Extension) -> list[CrmActivity]:
    return list(
        db.session.scalars(
            select(CrmActivity)
            .where(CrmActivity.extension_id == extension.id)
            .order_by(CrmActivity.log_date)
        )
    )


def test_messages_at_23_30_and_00_30_local_become_two_activities(world):
    day = date(2026, 11, 17)
    late = deliver(world.alice, JANE, "Still there?", _at_local(world.alice, day, 23, 30))
    early = deliver(world.alice, JANE, "Good morning", _at_local(world.alice, day, 24, 30))
    conversation = db.session.get(Conversation, late.conversation_id)
    assert early.conversation_id == conversation.id

    outcome = engine.log_conversation(
        world.alice, conversation, "contact-1", {"outcome": "Resolved"}
    )

    assert outcome.state == "written"
    activities = _activities(world.alice)
    assert [a.log_date for a in activities] == [day, day + timedelta(days=1)]
    assert {a.state for a in activities} == {"written"}
    bodies = db.session.scalars(select(LocalCrmActivity.body).order_by(LocalCrmActivity.id)).all()
    assert len(bodies) == 2
    assert "Still there?" in bodies[0] and "Good morning" not in bodies[0]
    assert "Good morning" in bodies[1] and "Still there?" not in bodies[1]
    assert "11:30 PM" in bodies[0] and "12:30 AM" in bodies[1]


def test_tokyo_user_gets_one_activity_for_the_instants_new_york_splits(world):
    # 23:30 and 00:30 New York time are 13:30 and 14:30 the same day in Tokyo.
    day = date(2026, 11, 17)
    first = _at_local(world.alice, day, 23, 30)
    second = _at_local(world.alice, day, 24, 30)
    for extension in (world.alice, world.erin):
        deliver(extension, JANE, "Still there?", first)
        last = deliver(extension, JANE, "Good morning", second)
        conversation = db.session.get(Conversation, last.conversation_id)
        engine.log_conversation(extension, conversation, "contact-1", {"outcome": "Resolved"})

    assert [a.log_date for a in _activities(world.alice)] == [day, day + timedelta(days=1)]
    assert [a.log_date for a in _activities(world.erin)] == [day + timedelta(days=1)]
    assert db.session.scalar(select(func.count()).select_from(LocalCrmActivity)) == 3


def test_group_by_day_orders_days_and_messages(world):
    day = date(2026, 11, 17)
    messages = [
        deliver(world.alice, JANE, "b", _at_local(world.alice, day, 24, 5)),
        deliver(world.alice, JANE, "a", _at_local(world.alice, day, 9, 0)),
        deliver(world.alice, JANE, "c", _at_local(world.alice, day, 23, 59)),
    ]
    grouped = group_by_day(world.alice, messages)
    assert list(grouped) == [day, day + timedelta(days=1)]
    assert [m.subject for m in grouped[day]] == ["a", "c"]
    assert [m.subject for m in grouped[day + timedelta(days=1)]] == ["b"]
