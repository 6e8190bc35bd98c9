"""Auto-log: one match logs, several follow the policy or wait for a decision, none is fine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from tests.crm.conftest import DAY, JANE, NOON_UTC, OLIVER, PRIYA, deliver
from widget.crm_logging import engine, tasks
from widget.errors import DomainError
from widget.extensions import db
from widget.local_crm.models import LocalCrmActivity
from widget.models import AutoLogCheck, Conversation, CrmActivity, MessageType


def _conversation(message) -> Conversation:
    return db.session.get(Conversation, message.conversation_id)


def _records_logged() -> list[str]:
    return list(
        db.session.scalars(select(LocalCrmActivity.record_ref).order_by(LocalCrmActivity.id))
    )


def _outcome(message) -> str | None:
    return db.session.scalar(
        select(AutoLogCheck.outcome).where(AutoLogCheck.message_id == message.id)
    )


def test_auto_log_is_off_by_default_and_logs_nothing(world, clock):
    assert engine.user_settings(world.alice).auto_log is False
    deliver(world.alice, JANE, "Hello", NOON_UTC)
    assert _records_logged() == []
    assert db.session.scalar(select(func.count()).select_from(AutoLogCheck)) == 0


def test_no_match_is_not_an_error_and_pager_is_skipped(world, clock):
    engine.set_auto_log(world.alice, True)
    unknown = deliver(world.alice, OLIVER, "Who is this?", NOON_UTC)
    pager = deliver(world.alice, "105", "lunch?", NOON_UTC, message_type=MessageType.PAGER)
    assert _records_logged() == []
    assert (_outcome(unknown), _outcome(pager)) == ("no_match", "skipped")
    assert engine.log_status(world.alice, _conversation(unknown)).activities == []


def test_several_matches_with_policy_ask_wait_for_the_users_decision(world, clock):
    engine.set_auto_log(world.alice, True)
    first = deliver(world.alice, PRIYA, "Hi, it's Priya", NOON_UTC)
    conversation = _conversation(first)
    assert _records_logged() == [] and _outcome(first) == "needs_decision"
    assert engine.log_status(world.alice, conversation).needs_decision is True

    # The user decides by logging to the lead; auto-log then follows that choice.
    engine.log_conversation(world.alice, conversation, "lead-1", {"outcome": "No action"})
    assert engine.log_status(world.alice, conversation).needs_decision is False
    later = deliver(world.alice, PRIYA, "One more thing", NOON_UTC + timedelta(minutes=5))
    assert _outcome(later) == "logged"
    [crm] = db.session.scalars(select(LocalCrmActivity)).all()
    assert crm.record_ref == "lead-1" and "One more thing" in crm.body


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("most_recent", "contact-3"),  # Priya Shah updated 1 day ago, the lead 5 days ago
        ("earliest_created", "contact-3"),  # created 2024, the lead 10 days ago
        ("alphabetical", "lead-1"),  # "P. Shah" sorts before "Priya Shah"
    ],
)
def test_conflict_policies_pick_one_record(world, clock, policy, expected):
    engine.set_conflict_policy(world.account, policy)
    engine.set_auto_log(world.alice, True)
    message = deliver(world.alice, PRIYA, "Hello", NOON_UTC)
    assert _records_logged() == [expected]
    assert engine.log_status(world.alice, _conversation(message)).needs_decision is False


def test_an_unknown_conflict_policy_is_refused(world):
    with pytest.raises(DomainError) as caught:
        engine.set_conflict_policy(world.account, "coin_flip")
    assert caught.value.field == "conflict_policy"
    assert engine.account_policy(world.account).conflict_policy == "ask"


def test_auto_log_carries_over_related_to_and_fields_from_the_last_log(world, clock):
    yesterday = NOON_UTC - timedelta(days=1)
    conversation = _conversation(deliver(world.alice, JANE, "Quote?", yesterday))
    engine.log_conversation(
        world.alice, conversation, "contact-1", {"outcome": "Resolved"}, "opportunity-2"
    )
    engine.set_auto_log(world.alice, True)
    deliver(world.alice, JANE, "Thanks for the quote", NOON_UTC)
    today = db.session.scalars(select(LocalCrmActivity).order_by(LocalCrmActivity.id)).all()[-1]
    assert today.related_to_title == "Opportunity: Warehouse SMS pilot"
    assert today.fields == {"outcome": "Resolved", "followUp": False}
    assert "Quote?" not in today.body and "Thanks for the quote" in today.body


def test_turning_auto_log_on_does_not_back_fill_unless_asked(world, app):
    with time_machine.travel(DAY.replace(hour=12), tick=False) as traveller:
        old = deliver(world.alice, JANE, "eight days ago", DAY - timedelta(days=8))
        recent = deliver(world.alice, JANE, "three days ago", DAY - timedelta(days=3))
        engine.set_auto_log(world.alice, True)
        assert _records_logged() == []
        traveller.shift(timedelta(hours=1))
        assert tasks.sweep() == {"activities": 0, "messages": 0}

        engine.set_auto_log(world.alice, False)
        engine.set_auto_log(world.alice, True, backfill=True)
    assert engine.BACKFILL_DAYS == 7
    [crm] = db.session.scalars(select(LocalCrmActivity)).all()
    assert "three days ago" in crm.body and "eight days ago" not in crm.body
    assert (_outcome(recent), _outcome(old)) == ("logged", None)


def test_sweeper_logs_a_message_whose_auto_log_task_was_lost(world, clock, monkeypatch):
    engine.set_auto_log(world.alice, True)

    def crash(*args, **kwargs):
        raise RuntimeError("worker died before the task was queued")

    monkeypatch.setattr(tasks, "autolog_messages", crash)
    message = deliver(world.alice, JANE, "Hello?", datetime.now(UTC))  # ingestion succeeds
    monkeypatch.undo()
    assert _records_logged() == [] and _outcome(message) is None

    assert tasks.sweep() == {"activities": 0, "messages": 0}  # too new: its task may run
    clock.shift(timedelta(minutes=2))
    assert tasks.sweep() == {"activities": 0, "messages": 1}
    assert _records_logged() == ["contact-1"] and _outcome(message) == "logged"
    assert tasks.sweep() == {"activities": 0, "messages": 0}


def test_should_open_log_page_only_for_the_first_message_sent_that_day(world, clock):
    first = deliver(world.alice, JANE, "Hi", NOON_UTC, direction="Outbound")
    assert engine.should_open_log_page(world.alice, first) is False  # the setting is off
    engine.set_open_log_page(world.alice, True)
    assert engine.should_open_log_page(world.alice, first) is True
    reply = deliver(world.alice, JANE, "Hello back", NOON_UTC + timedelta(minutes=1))
    second = deliver(
        world.alice, JANE, "More", NOON_UTC + timedelta(minutes=2), direction="Outbound"
    )
    assert engine.should_open_log_page(world.alice, reply) is False  # inbound
    assert engine.should_open_log_page(world.alice, second) is False
    assert engine.should_open_log_page(world.erin, first) is False  # not Erin's message
    # 23:59 New York is still the same day; 00:01 the next day opens the page again.
    late = deliver(
        world.alice,
        JANE,
        "Late",
        DAY.replace(hour=23) + timedelta(hours=5, minutes=59),
        direction="Outbound",
    )
    nextday = deliver(
        world.alice,
        JANE,
        "Morning",
        DAY + timedelta(days=1, hours=5, minutes=1),
        direction="Outbound",
    )
    assert engine.should_open_log_page(world.alice, late) is False
    assert engine.should_open_log_page(world.alice, nextday) is True
    assert db.session.scalar(select(func.count()).select_from(CrmActivity)) == 0
