"""A shared-inbox case logged to the fake Salesforce over real HTTP: one Task per case.

Alice (auto-log on) claims a case of the "Support" queue: one Task is created; every
later message, note, transfer and the resolve update that same Task (PATCH), whose
plain-text Description carries the queue, the handlers, the notes and every message,
with control characters and bidi overrides removed. A crash after the create is
reconciled through the case's own log key (``CallObject``), never a second Task.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.crm.conftest import JANE, NOON_UTC, deliver
from widget.crm_logging import engine, writer
from widget.extensions import db
from widget.models import Conversation, CrmActivity, QueueConversation
from widget.queues import cases, manage

SUPPORT = "+16505550150"
HOSTILE = "Refund?\u202e\x07 <script>alert(1)</script>"


def _support(world):
    queue = manage.create_queue(world.account, "Support", [SUPPORT])
    manage.add_member(queue, world.alice)
    manage.add_member(queue, world.erin)
    db.session.commit()
    return queue


def _case(message) -> QueueConversation:
    return db.session.scalars(
        select(QueueConversation).where(
            QueueConversation.conversation_id == message.conversation_id
        )
    ).one()


def test_a_case_is_one_task_created_once_then_patched(sf_world, fake_sf, clock):
    world, ids = sf_world
    queue = _support(world)
    engine.set_auto_log(world.alice, True)
    first = deliver(queue.mailbox, JANE, HOSTILE, NOON_UTC)
    case = _case(first)
    assert fake_sf.records("Task") == []

    cases.claim(world.alice, case.id)
    [task] = fake_sf.records("Task")
    assert task["WhoId"] == ids["jane"]
    assert task["CallObject"] == f"sidetalk:case-{case.id}/2026-11-17/{ids['jane']}"

    cases.add_note(world.alice, case.id, "Check order 1042")
    deliver(queue.mailbox, JANE, "Any news?", NOON_UTC + timedelta(minutes=5))
    cases.transfer(world.alice, case.id, to_member_id=world.erin.id, note="Erin knows refunds")
    cases.resolve(world.erin, case.id, "Resolved")

    [task] = fake_sf.records("Task")  # still one Task
    assert fake_sf.call_count("POST", "sobjects/Task") == 1
    assert fake_sf.call_count("PATCH", "sobjects/Task") >= 4
    description = task["Description"]
    for expected in (
        "Queue: Support",
        "Handled by: Alice Chen, Erin Walsh",
        "Check order 1042",
        "(transfer to Erin Walsh) Erin knows refunds",
        "Any news?",
        "Resolved by Erin Walsh: Resolved",
        "Refund? <script>alert(1)</script>",  # plain text: shown as typed, nothing to escape
    ):
        assert expected in description, expected
    assert "\u202e" not in description and "\x07" not in description
    assert task["Subject"].startswith("Shared inbox conversation with Jane Roe (Support)")


def test_a_create_that_landed_before_a_crash_is_found_not_made_again(sf_world, fake_sf, clock):
    world, ids = sf_world
    queue = _support(world)
    case = _case(deliver(queue.mailbox, JANE, "Hello", NOON_UTC))
    cases.claim(world.alice, case.id)
    conversation = db.session.get(Conversation, case.conversation_id)
    engine.log_conversation(world.alice, conversation, ids["jane"])
    [activity] = db.session.scalars(select(CrmActivity)).all()
    # As if the worker died after the create, before recording the Task's id.
    activity.crm_log_id = None
    activity.state = "pending"
    activity.revision += 1
    db.session.commit()

    assert writer.write_activity(activity.id).result == writer.WriteResult.WRITTEN
    assert len(fake_sf.records("Task")) == 1  # reconciled by the case's key, then updated
