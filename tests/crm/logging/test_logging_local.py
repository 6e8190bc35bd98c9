"""End-to-end logging into the local CRM: digests, updates, coalescing, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.crm.conftest import DAY, JANE, PRIYA, SAM, deliver, drain
from widget.crm_logging import engine, tasks
from widget.errors import DomainError
from widget.extensions import db
from widget.local_crm.models import LocalCrmActivity
from widget.models import (
    Conversation,
    CrmActivity,
    MessageLog,
    MessageType,
)

NOON = DAY.replace(hour=17)  # 12:00 in New York


def _conversation(message) -> Conversation:
    return db.session.get(Conversation, message.conversation_id)


def _local_activities() -> list[LocalCrmActivity]:
    return list(db.session.scalars(select(LocalCrmActivity).order_by(LocalCrmActivity.id)))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_auto_log_one_by_one_is_one_create_then_updates_and_a_new_day_is_a_new_activity(
    world, clock
):
    engine.set_auto_log(world.alice, True)
    for minute, text in enumerate(["Hi", "Is the order shipping?", "Thanks!"]):
        deliver(world.alice, JANE, text, NOON + timedelta(minutes=minute))

    [crm] = _local_activities()
    assert crm.revision_count == 3  # 1 create + 2 updates of the same activity
    assert all(text in crm.body for text in ("Hi", "Is the order shipping?", "Thanks!"))
    [activity] = db.session.scalars(select(CrmActivity)).all()
    assert (activity.state, activity.crm_log_id) == ("written", str(crm.id))
    assert db.session.scalars(select(MessageLog.state)).all() == ["logged"] * 3

    deliver(world.alice, JANE, "Next day", NOON + timedelta(days=1))
    first, second = _local_activities()
    assert first.revision_count == 3 and "Next day" not in first.body
    assert second.revision_count == 1 and "Next day" in second.body
    assert second.activity_date == first.activity_date + timedelta(days=1)

    # Re-running the write task of a written activity changes nothing in the CRM.
    assert tasks.write_crm_activity(activity.id).get() == "skipped"
    assert [a.revision_count for a in _local_activities()] == [3, 1]


def test_messages_pending_together_are_one_crm_write(world, app, clock):
    app.config["CRM_LOG_COALESCE_SECONDS"] = 3
    engine.set_auto_log(world.alice, True)
    for minute in range(20):
        deliver(world.alice, JANE, f"burst {minute}", NOON + timedelta(seconds=minute))
    assert _local_activities() == []  # the write waits for the burst to settle
    [activity] = db.session.scalars(select(CrmActivity)).all()
    assert activity.revision == 20 and activity.state == "pending"

    drain()  # the first write takes all 20; a later one (slow machine) finds nothing to do
    [crm] = _local_activities()
    assert crm.revision_count == 1
    assert all(f"burst {minute}" in crm.body for minute in range(20))
    db.session.expire_all()
    assert db.session.get(CrmActivity, activity.id).state == "written"


def test_manual_log_writes_the_chosen_fields_and_related_to(world):
    conversation = _conversation(deliver(world.alice, JANE, "Quote please", NOON))
    outcome = engine.log_conversation(
        world.alice,
        conversation,
        "contact-1",
        {"outcome": "Follow-up needed", "note": "Call <Friday>", "followUp": True},
        related_to_id="opportunity-1",
    )
    assert outcome.state == "written"
    [crm] = _local_activities()
    assert crm.record_ref == "contact-1" and crm.record_name == "Jane Roe"
    assert crm.related_to_title == "Opportunity: Fleet tracking renewal 2026"
    assert crm.fields == {"outcome": "Follow-up needed", "note": "Call <Friday>", "followUp": True}
    status = engine.log_status(world.alice, conversation)
    [row] = status.activities
    assert (row.record_name, row.record_type, row.state, row.crm_log_id) == (
        "Jane Roe",
        "Contact",
        "written",
        str(crm.id),
    )
    assert row.crm_log_url == f"http://127.0.0.1:5000/crm/local/activities/{crm.id}"
    assert status.needs_decision is False and status.failed_error is None

    # Logging again with other fields updates the same activity.
    engine.log_conversation(world.alice, conversation, "contact-1", {"outcome": "Resolved"})
    [crm] = _local_activities()
    assert crm.fields == {"outcome": "Resolved", "followUp": False}
    assert crm.related_to_title is None
    assert crm.revision_count == 2


def test_group_sms_is_logged_once_per_chosen_contact(world):
    message = deliver(world.alice, [JANE, SAM], "Install on Monday?", NOON)
    conversation = _conversation(message)
    assert conversation.kind == "group"
    assert [r.id for _, r in engine.conversation_records(world.alice, conversation)] == [
        "contact-2",
        "contact-1",
    ]
    engine.log_conversation(world.alice, conversation, "contact-1", {"outcome": "No action"})
    engine.log_conversation(world.alice, conversation, "contact-2", {"outcome": "No action"})
    engine.log_conversation(world.alice, conversation, "contact-1", {"outcome": "No action"})

    crm = _local_activities()
    assert [a.record_ref for a in crm] == ["contact-1", "contact-2"]
    assert all("Group SMS with" in a.subject and "Install on Monday?" in a.body for a in crm)
    links = db.session.execute(select(MessageLog.message_id, MessageLog.record_id)).all()
    assert sorted(links) == [(message.id, "contact-1"), (message.id, "contact-2")]


def test_a_record_the_user_was_not_offered_is_refused_and_nothing_is_written(world):
    conversation = _conversation(deliver(world.alice, JANE, "Hello", NOON))
    for record_id in ("contact-2", "lead-1", "contact-999", "", "contact-1' OR 1=1"):
        with pytest.raises(DomainError) as caught:
            engine.log_conversation(world.alice, conversation, record_id, {"outcome": "Resolved"})
        assert (caught.value.status, caught.value.field) == (400, "record_id")
    # Another company's record with the same number is not offered either.
    other_jane = engine.find_records(world.zed, JANE)
    assert [r.id for r in other_jane] != [r.id for r in engine.find_records(world.alice, JANE)]
    with pytest.raises(DomainError):
        engine.log_conversation(
            world.alice, conversation, other_jane[0].id, {"outcome": "Resolved"}
        )
    assert _count(CrmActivity) == 0 and _count(MessageLog) == 0 and _local_activities() == []


@pytest.mark.parametrize(
    ("submission", "related", "field", "status"),
    [
        ({"outcome": "Resolved"}, "opportunity-3", "relatedTo", 400),  # closed: not offered
        ({"outcome": "Resolved"}, "opportunity-4", "relatedTo", 400),  # Acme's, not Jane's
        ({"outcome": "Resolved", "relatedTo": "account-4"}, None, "relatedTo", 400),
        ({}, None, "outcome", 422),  # a required field is missing
        ({"outcome": "Maybe"}, None, "outcome", 422),  # an option the manifest does not offer
        ({"outcome": "Resolved", "followUp": "perhaps"}, None, "followUp", 422),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_written(world, submission, related, field, status):
    conversation = _conversation(deliver(world.alice, JANE, "Hello", NOON))
    with pytest.raises(DomainError) as caught:
        engine.log_conversation(world.alice, conversation, "contact-1", submission, related)
    assert (caught.value.field, caught.value.status) == (field, status)
    assert _count(CrmActivity) == 0 and _count(MessageLog) == 0 and _local_activities() == []


def test_another_users_conversation_is_not_found_and_pager_is_not_logged(world):
    conversation = _conversation(deliver(world.alice, JANE, "Hello", NOON))
    for call in (
        lambda: engine.log_conversation(world.erin, conversation, "contact-1", {}),
        lambda: engine.compose_preview(world.erin, conversation, "contact-1"),
        lambda: engine.log_status(world.erin, conversation),
        lambda: engine.retry_failed(world.erin, conversation),
    ):
        with pytest.raises(DomainError) as caught:
            call()
        assert caught.value.status == 404
    pager = deliver(world.alice, "105", "lunch?", NOON, message_type=MessageType.PAGER)
    with pytest.raises(DomainError, match="Pager messages are internal"):
        engine.log_conversation(world.alice, _conversation(pager), "contact-1", {})
    assert _count(CrmActivity) == 0


def test_preview_is_exactly_what_gets_written(world):
    conversation = _conversation(deliver(world.alice, PRIYA, "a <b>bold</b> claim", NOON))
    preview = engine.compose_preview(world.alice, conversation, "lead-1", {"outcome": "Resolved"})
    engine.log_conversation(world.alice, conversation, "lead-1", {"outcome": "Resolved"})
    [crm] = _local_activities()
    # Media-free bodies are identical; names come from the chosen record (the lead).
    assert crm.body == preview
    assert "P. Shah" in preview and "a &lt;b&gt;bold&lt;/b&gt; claim" in preview


def test_a_logged_message_is_marked_and_never_linked_twice(world):
    message = deliver(world.alice, JANE, "Hello", NOON)
    conversation = _conversation(message)
    assert engine.logged_message_ids(world.alice, [message.id]) == set()
    engine.log_conversation(world.alice, conversation, "contact-1", {"outcome": "Resolved"})
    engine.log_conversation(world.alice, conversation, "contact-1", {"outcome": "Resolved"})
    assert engine.logged_message_ids(world.alice, [message.id]) == {message.id}
    assert engine.logged_message_ids(world.erin, [message.id]) == set()
    assert _count(MessageLog) == 1 and _count(CrmActivity) == 1
    assert _local_activities()[0].revision_count == 1  # nothing changed: no second write
