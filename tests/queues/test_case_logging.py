"""Shared-inbox cases logged to the CRM once per case (SQLite and PostgreSQL).

A case is one CRM activity for its whole life: created at the first log, updated by
every later message, claim, transfer, note and resolve; its body carries the queue, who
handled it, the notes and every message with sender and time, escaped for the
connector's format. Auto-log logs a case for its holder once it is claimed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.crm.conftest import _clean_jobs_and_cache  # noqa: F401 (autouse fixture)
from tests.queues.support import CUSTOMER, case_of, extension, text_in
from widget.crm_logging import case_logs, engine, tasks, writer
from widget.crm_logging.moves import move_activity
from widget.errors import Conflict, Invalid, NotFound
from widget.extensions import db
from widget.inbox.ingest import messages_changed
from widget.local_crm.models import LocalCrmActivity
from widget.models import Conversation, CrmActivity, MessageLog
from widget.models.types import utcnow
from widget.queues import cases
from widget.queues.events import queue_changed

FIELDS = {"outcome": "Resolved"}
HOSTILE = "<script>alert(1)</script> **bold** [x](javascript:alert(1))"


def _crm_activities() -> list[LocalCrmActivity]:
    db.session.expire_all()
    return list(db.session.scalars(select(LocalCrmActivity).order_by(LocalCrmActivity.id)))


def _jane(conversation_id: int) -> str:
    alice = extension("101")
    conversation = db.session.get(Conversation, conversation_id)
    [(_, record)] = engine.conversation_records(alice, conversation)
    return record.id


def _claimed(body: str, member):
    """A customer's text claimed by ``member``: the case, its conversation, Jane's id."""
    case = case_of(text_in(body))
    cases.claim(member, case.id)
    conversation = db.session.get(Conversation, case.conversation_id)
    return case, conversation, _jane(conversation.id)


def test_auto_log_writes_one_activity_for_the_whole_case(crm):
    alice, bob = extension("101"), extension("102")
    engine.set_auto_log(alice, True)
    first = text_in("Is my order late? " + HOSTILE)
    case = case_of(first)
    assert _crm_activities() == []  # waiting in the queue: nobody's log yet

    cases.claim(alice, case.id)  # Alice has auto-log on: her claim logs the case
    [activity] = _crm_activities()
    assert "Is my order late?" in activity.body

    cases.add_note(alice, case.id, "VIP <b>customer</b>, be quick")
    text_in("Hello again?")
    cases.transfer(alice, case.id, to_member_id=bob.id, note="Wants a refund if late")
    cases.resolve(bob, case.id, "Other", "Refund sent <img src=x onerror=alert(1)>")

    [activity] = _crm_activities()  # still one activity in the CRM
    assert activity.revision_count >= 5  # created, then updated by each change
    body = activity.body
    for expected in (
        "Shared inbox conversation with Jane Roe (Support)",
        "Queue: Support",
        "Handled by: Alice Chen, Bob Martinez",
        "Handling history",
        "Transferred to Bob Martinez",
        "Internal notes",
        "VIP &lt;b&gt;customer&lt;/b&gt;, be quick",
        "(transfer to Bob Martinez) Wants a refund if late",
        "Hello again?",
        "Resolved by Bob Martinez: Other (Refund sent &lt;img src=x onerror=alert(1)&gt;)",
    ):
        assert expected in body, expected
    assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<img" not in body and "<b>customer" not in body

    [row] = db.session.scalars(select(CrmActivity)).all()
    assert (row.queue_conversation_id, row.extension_id, row.state) == (
        case.id,
        alice.id,
        "written",
    )
    assert row.log_key.startswith(f"case-{case.id}/")
    logged = db.session.scalar(select(func.count()).select_from(MessageLog))
    assert logged == 2  # both customer texts, linked once


def test_log_by_a_member_then_updates_and_a_reopened_case_is_a_new_activity(crm):
    alice, bob = extension("101"), extension("102")
    case, conversation, record_id = _claimed("First question", bob)

    outcome = engine.log_conversation(bob, conversation, record_id, FIELDS)
    assert outcome.state == "written"
    [activity] = _crm_activities()
    assert "First question" in activity.body and "Claimed" in activity.body

    # Logging again changes nothing; the case is one activity, whoever asks.
    engine.log_conversation(bob, conversation, record_id, FIELDS)
    assert [a.revision_count for a in _crm_activities()] == [1]
    # A member who did not log it still sees it logged (the activity is the team's).
    status = engine.log_status(alice, conversation)
    assert [a.state for a in status.activities] == ["written"]

    text_in("Second question")  # grows the logged case: an update, not a new activity
    [activity] = _crm_activities()
    assert "Second question" in activity.body and activity.revision_count == 2

    cases.resolve(bob, case.id, "Resolved")
    reopened = case_of(text_in("One more thing"))
    assert reopened.id != case.id
    cases.claim(bob, reopened.id)
    engine.log_conversation(bob, conversation, record_id, FIELDS)
    old, new = _crm_activities()
    assert "One more thing" not in old.body and "Resolved by Bob Martinez" in old.body
    assert "One more thing" in new.body and "First question" not in new.body


def test_preview_is_the_body_that_is_written(crm):
    bob = extension("102")
    case, conversation, record_id = _claimed("Preview me " + HOSTILE, bob)
    cases.add_note(bob, case.id, "a note")
    preview = engine.compose_preview(bob, conversation, record_id)
    engine.log_conversation(bob, conversation, record_id, FIELDS)
    [activity] = _crm_activities()
    assert activity.body == preview


def test_bad_input_changes_nothing(crm):
    bob, carol = extension("102"), extension("103")
    case, conversation, record_id = _claimed("Hello", bob)

    with pytest.raises(Invalid, match="Choose at least one message"):
        engine.log_conversation(
            bob, conversation, record_id, FIELDS, skip_message_ids=[case.first_message_id]
        )
    with pytest.raises(Invalid, match="Choose a record"):
        engine.log_conversation(bob, conversation, "not-a-record", FIELDS)
    engine.log_conversation(bob, conversation, record_id, FIELDS)
    [activity] = db.session.scalars(select(CrmActivity)).all()
    with pytest.raises(Invalid, match="Choose a record"):
        move_activity(bob, conversation, activity.id, "contact-2")  # not Jane's
    # Carol is a member, but Bob holds the case: she may read it, not log it.
    with pytest.raises(Conflict, match="Claimed by Bob Martinez: only they can log it"):
        engine.log_conversation(carol, conversation, record_id, FIELDS)
    # Dev is in no queue: the conversation and its log do not exist for him.
    dev = extension("104")
    with pytest.raises(NotFound, match="does not exist"):
        engine.log_conversation(dev, conversation, record_id, FIELDS)
    with pytest.raises(NotFound, match="does not exist"):
        engine.log_status(dev, conversation)
    with pytest.raises(NotFound, match="does not exist"):
        engine.compose_preview(dev, conversation, record_id)
    assert [a.revision_count for a in _crm_activities()] == [1]
    assert db.session.get(CrmActivity, activity.id).record_id == record_id


def test_a_second_intent_for_the_same_case_and_record_is_the_same_row(crm):
    bob = extension("102")
    case, conversation, record_id = _claimed("Twice", bob)
    [(phone, record)] = engine.conversation_records(bob, conversation)
    first, _ = case_logs.record_case_intent(bob, case, record, "local", record_phone=phone)
    second, dirty = case_logs.record_case_intent(bob, case, record, "local", record_phone=phone)
    db.session.commit()
    assert first.id == second.id and not dirty
    assert writer.write_activity(first.id).result == writer.WriteResult.WRITTEN
    assert writer.write_activity(first.id).result == writer.WriteResult.SKIPPED
    assert len(_crm_activities()) == 1 and record_id == record.id


def test_customer_number_is_the_case_participant(crm):
    case = case_of(text_in("Who am I"))
    conversation = db.session.get(Conversation, case.conversation_id)
    assert conversation.addresses == [CUSTOMER]


def test_a_lost_sync_is_caught_up_by_the_sweeper(crm):
    bob = extension("102")
    case, conversation, record_id = _claimed("Before the crash", bob)
    engine.log_conversation(bob, conversation, record_id, FIELDS)
    # The task a commit queues is lost (a crash between commit and enqueue).
    messages_changed.disconnect(tasks.on_queue_messages)
    queue_changed.disconnect(tasks.on_queue_changed)
    try:
        text_in("Lost in the crash")
        cases.add_note(bob, case.id, "A note nobody synced")
    finally:
        messages_changed.connect(tasks.on_queue_messages)
        queue_changed.connect(tasks.on_queue_changed)
    [activity] = _crm_activities()
    assert "Lost in the crash" not in activity.body

    assert case_logs.stale_cases(utcnow(), tasks.SWEEP_AGE) == []  # too new: its task may run
    tasks.sweep(utcnow() + timedelta(minutes=2))
    [activity] = _crm_activities()
    assert "Lost in the crash" in activity.body and "A note nobody synced" in activity.body
    assert case_logs.stale_cases(utcnow() + timedelta(minutes=2), tasks.SWEEP_AGE) == []
