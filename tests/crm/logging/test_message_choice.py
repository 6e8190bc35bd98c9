"""Which messages a Log writes: the list offered, and what leaving some out does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from tests.crm.conftest import JANE, NOON_UTC, deliver
from widget.crm_logging import engine, selection
from widget.errors import Invalid
from widget.extensions import db
from widget.local_crm.models import LocalCrmActivity
from widget.models import Conversation


def _statements(run) -> int:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def _jane(world, days: int, per_day: int = 2) -> Conversation:
    for day in range(days):
        for n in range(per_day):
            message = deliver(
                world.alice, JANE, f"day {day} #{n}", NOON_UTC + timedelta(days=day, minutes=n)
            )
    return db.session.get(Conversation, message.conversation_id)


def test_the_list_costs_the_same_queries_for_2_days_or_12(world):
    few = _jane(world, 2)
    cost_few = _statements(lambda: selection.messages_to_choose(world.alice, few, "contact-1"))
    listed = selection.messages_to_choose(world.alice, few, "contact-1")
    assert [len(d.messages) for d in listed] == [2, 2]
    many = _jane(world, 12)  # the same conversation, now 12 unlogged days
    cost_many = _statements(lambda: selection.messages_to_choose(world.alice, many, "contact-1"))
    assert [len(d.messages) for d in selection.messages_to_choose(world.alice, many, "contact-1")]
    assert cost_many == cost_few


def test_the_list_is_capped_at_the_newest_messages(world, monkeypatch):
    monkeypatch.setattr(selection, "MAX_LISTED", 3)
    conversation = _jane(world, 3)
    listed = selection.messages_to_choose(world.alice, conversation, "contact-1")
    texts = [item.message.subject for day in listed for item in day.messages]
    assert texts == ["day 1 #1", "day 2 #0", "day 2 #1"]
    # What was not listed is still logged: leaving out means unchecked, not unlisted.
    engine.log_conversation(world.alice, conversation, "contact-1", {"outcome": "Resolved"})
    bodies = " ".join(db.session.scalars(select(LocalCrmActivity.body)))
    assert all(f"day {d} #{n}" in bodies for d in range(3) for n in range(2))


def test_skipping_a_whole_day_logs_the_others_and_skipping_all_is_refused(world):
    conversation = _jane(world, 2)
    first_day = [
        item.message.id
        for item in selection.messages_to_choose(world.alice, conversation, "contact-1")[0].messages
    ]
    every = [
        item.message.id
        for day in selection.messages_to_choose(world.alice, conversation, "contact-1")
        for item in day.messages
    ]
    with pytest.raises(Invalid) as refused:
        engine.log_conversation(
            world.alice, conversation, "contact-1", {"outcome": "Resolved"}, skip_message_ids=every
        )
    assert refused.value.field == "message_ids"
    assert db.session.scalars(select(LocalCrmActivity)).all() == []
    engine.log_conversation(
        world.alice, conversation, "contact-1", {"outcome": "Resolved"}, skip_message_ids=first_day
    )
    [activity] = db.session.scalars(select(LocalCrmActivity)).all()
    assert "day 1 #0" in activity.body and "day 0" not in activity.body
