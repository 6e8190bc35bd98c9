"""Re-associate: move a logged conversation-day to another record, exactly once in the CRM."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connectors.errors import CrmRetryableError
from tests.crm.conftest import (
    NOON_UTC,
    PRIYA,
    SAM,
    assert_moved_to,
    deliver,
    without_re_parenting,
)
from widget.crm_logging import engine, moves, tasks, writer
from widget.errors import Conflict, Invalid, NotFound
from widget.extensions import db
from widget.local_crm.connector import LocalConnector
from widget.local_crm.models import LocalCrmActivity
from widget.models import Conversation, CrmActivity
from widget.models.crm import log_key


def _logged_to_contact(world) -> tuple[Conversation, CrmActivity, dict[str, str]]:
    message = deliver(world.alice, PRIYA, "Hi, it's Priya", NOON_UTC)
    conversation = db.session.get(Conversation, message.conversation_id)
    records = {r.type: r.id for _, r in engine.conversation_records(world.alice, conversation)}
    engine.log_conversation(world.alice, conversation, records["Contact"], {"outcome": "Resolved"})
    [activity] = db.session.scalars(select(CrmActivity)).all()
    return conversation, activity, records


def _crm() -> list[LocalCrmActivity]:
    db.session.expire_all()
    return list(db.session.scalars(select(LocalCrmActivity).order_by(LocalCrmActivity.id)))


def test_move_re_parents_the_same_crm_activity(world):
    conversation, activity, records = _logged_to_contact(world)
    [before] = _crm()

    outcome = moves.move_activity(world.alice, conversation, activity.id, records["Lead"])

    assert outcome.state == "written"
    [after] = _crm()
    assert after.id == before.id  # the local CRM can re-parent: no second activity
    assert (after.record_type, after.record_ref, after.record_name) == (
        "Lead",
        records["Lead"],
        "P. Shah",
    )
    assert after.log_key == log_key(conversation.id, activity.log_date, records["Lead"])
    assert "Hi, it&#x27;s Priya" in after.body
    assert_moved_to(activity.id, records["Lead"])
    # Logging the day to the contact again is a new activity, not an overwrite of the lead's.
    engine.log_conversation(world.alice, conversation, records["Contact"], {"outcome": "Resolved"})
    assert sorted(a.record_type for a in _crm()) == ["Contact", "Lead"]


def test_a_crm_that_cannot_re_parent_gets_delete_and_create(world, monkeypatch):
    conversation, activity, records = _logged_to_contact(world)
    old_log_id = activity.crm_log_id
    deleted = without_re_parenting(monkeypatch)

    moves.move_activity(world.alice, conversation, activity.id, records["Lead"])

    [new] = _crm()
    assert deleted == [old_log_id]
    assert new.record_ref == records["Lead"] and new.revision_count == 1  # created anew
    assert new.log_key == log_key(conversation.id, activity.log_date, records["Lead"])
    db.session.expire_all()
    assert db.session.get(CrmActivity, activity.id).crm_log_id == str(new.id)


def test_a_crash_after_the_delete_still_ends_with_one_activity(world, monkeypatch):
    conversation, activity, records = _logged_to_contact(world)
    monkeypatch.setattr(LocalConnector, "move_message_log", lambda *a: None)
    create = LocalConnector.create_message_log
    failures = iter([CrmRetryableError("CRM went away")])

    def create_once_failing(self, session, log):
        failure = next(failures, None)
        if failure:
            raise failure
        return create(self, session, log)

    monkeypatch.setattr(LocalConnector, "create_message_log", create_once_failing)
    moves.move_activity(world.alice, conversation, activity.id, records["Lead"])
    assert _crm() == []  # deleted, the create failed: retried later
    db.session.expire_all()
    assert db.session.get(CrmActivity, activity.id).state == "pending"

    db.session.execute(CrmActivity.__table__.update().values(next_attempt_at=None))
    db.session.commit()
    assert tasks.write_crm_activity(activity.id).get() == "written"
    [new] = _crm()
    assert new.record_ref == records["Lead"]


def test_a_crash_between_the_crm_write_and_the_commit_is_reconciled(world, monkeypatch):
    conversation, activity, records = _logged_to_contact(world)
    monkeypatch.setattr(LocalConnector, "move_message_log", lambda *a: None)
    real_finish = writer.finish
    crashes = iter([RuntimeError("worker killed")])

    def finish_once_crashing(*args, **kwargs):
        crash = next(crashes, None)
        if crash:
            raise crash
        return real_finish(*args, **kwargs)

    monkeypatch.setattr(writer, "finish", finish_once_crashing)
    moves.move_activity(world.alice, conversation, activity.id, records["Lead"])
    [landed] = _crm()  # created, but the local commit never happened
    db.session.execute(CrmActivity.__table__.update().values(next_attempt_at=None))
    db.session.commit()

    assert tasks.write_crm_activity(activity.id).get() == "written"
    [again] = _crm()
    assert again.id == landed.id and again.revision_count == 2  # found again, updated
    assert again.record_ref == records["Lead"]


def test_bad_moves_are_refused_and_change_nothing(world):
    conversation, activity, records = _logged_to_contact(world)
    other = db.session.get(
        Conversation, deliver(world.alice, SAM, "Other", NOON_UTC).conversation_id
    )
    [before] = _crm()
    with pytest.raises(Invalid):
        moves.move_activity(world.alice, conversation, activity.id, records["Contact"])  # same
    with pytest.raises(Invalid):
        moves.move_activity(world.alice, conversation, activity.id, "contact-999")  # not offered
    with pytest.raises(NotFound):
        moves.move_activity(world.alice, other, activity.id, records["Lead"])  # other convo
    with pytest.raises(NotFound):
        moves.move_activity(world.erin, conversation, activity.id, records["Lead"])
    # Already logged to the lead that day: moving there would make two of one day.
    engine.log_conversation(world.alice, conversation, records["Lead"], {"outcome": "Resolved"})
    with pytest.raises(Conflict):
        moves.move_activity(world.alice, conversation, activity.id, records["Lead"])
    db.session.rollback()
    db.session.expire_all()
    unchanged = db.session.get(CrmActivity, activity.id)
    assert (unchanged.record_id, unchanged.moved_from_record_id) == (records["Contact"], None)
    assert [a.record_ref for a in _crm()][0] == before.record_ref


# -- Salesforce: the Task is re-parented with one PATCH ------------------------------------------


def test_salesforce_move_patches_who_what_and_key_of_the_same_task(sf_world, fake_sf):
    world, ids = sf_world
    # The same number is the Account's main line too: the day can move to the Account.
    fake_sf.store.update("Account", ids["account"], {"Phone": "(415) 555-0123"})
    message = deliver(world.alice, "+14155550123", "Quote for 12 trucks?", NOON_UTC)
    conversation = db.session.get(Conversation, message.conversation_id)
    engine.log_conversation(world.alice, conversation, ids["jane"], {})
    [activity] = db.session.scalars(select(CrmActivity)).all()
    [task] = fake_sf.records("Task")
    assert task["WhoId"] == ids["jane"]
    fake_sf.reset_calls()

    moves.move_activity(world.alice, conversation, activity.id, ids["account"])

    [moved] = fake_sf.records("Task")  # the same Task, never a second one
    assert moved["Id"] == task["Id"]
    assert (moved["WhoId"], moved["WhatId"]) == (None, ids["account"])
    new_key = log_key(conversation.id, activity.log_date, ids["account"])
    assert moved["CallObject"] == f"sidetalk:{new_key}"
    assert "Quote for 12 trucks?" in moved["Description"]
    assert fake_sf.call_count("PATCH", "sobjects/Task") == 1
    assert fake_sf.call_count("POST", "sobjects/Task") == 0
    db.session.expire_all()
    assert db.session.get(CrmActivity, activity.id).moved_from_record_id is None
