"""End-to-end logging into the fake Salesforce over real HTTP: calls, errors, crashes."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.crm.conftest import JANE, NOON_UTC, deliver, drain
from widget.crm_logging import engine, tasks, writer
from widget.crm_logging.credentials import decrypt_credentials
from widget.extensions import db
from widget.jobs import huey
from widget.models import Conversation, CrmActivity, CrmConnection


def _conversation(message) -> Conversation:
    return db.session.get(Conversation, message.conversation_id)


def _activity() -> CrmActivity:
    db.session.expire_all()
    [activity] = db.session.scalars(select(CrmActivity)).all()
    return activity


def _calls(fake) -> dict[str, int]:
    return {
        "search": fake.call_count("GET", "search/"),
        "query": fake.call_count("GET", "query/"),
        "create": fake.call_count("POST", "sobjects/Task"),
        "update": fake.call_count("PATCH", "sobjects/Task"),
        "token": fake.call_count("POST", "/services/oauth2/token"),
        "identity": fake.call_count("GET", "/id/"),
    }


def test_one_by_one_is_one_create_then_one_patch_per_message(sf_world, fake_sf, clock):
    world, ids = sf_world
    engine.set_auto_log(world.alice, True)
    for minute in range(3):
        deliver(world.alice, JANE, f"message {minute}", NOON_UTC + timedelta(minutes=minute))

    # One lookup (SOSL + "Related to" query, then cached), 1 create + 2 updates.
    assert _calls(fake_sf) == {
        "search": 1,
        "query": 1,
        "create": 1,
        "update": 2,
        "token": 0,
        "identity": 0,
    }
    [task] = fake_sf.records("Task")
    assert task["WhoId"] == ids["jane"] and task["Status"] == "Completed"
    assert task["CallObject"] == f"sidetalk:{_activity().log_key}"
    assert all(f"message {n}" in task["Description"] for n in range(3))
    assert task["ActivityDate"] == "2026-11-17"
    assert _activity().crm_log_id == task["Id"] and _activity().state == "written"

    deliver(world.alice, JANE, "tomorrow", NOON_UTC + timedelta(days=1))
    assert _calls(fake_sf)["create"] == 2 and len(fake_sf.records("Task")) == 2

    fake_sf.reset_calls()
    for activity in db.session.scalars(select(CrmActivity)):
        assert tasks.write_crm_activity(activity.id).get() == "skipped"
    assert sum(_calls(fake_sf).values()) == 0


def test_messages_pending_together_are_one_create(sf_world, fake_sf, app, clock):
    world, _ = sf_world
    app.config["CRM_LOG_COALESCE_SECONDS"] = 3
    engine.set_auto_log(world.alice, True)
    for second in range(3):
        deliver(world.alice, JANE, f"burst {second}", NOON_UTC + timedelta(seconds=second))
    assert _calls(fake_sf)["create"] == 0
    drain()
    assert _calls(fake_sf)["create"] == 1 and _calls(fake_sf)["update"] == 0
    [task] = fake_sf.records("Task")
    assert all(f"burst {n}" in task["Description"] for n in range(3))


def test_manual_log_sets_what_id_and_priority(sf_world, fake_sf):
    world, ids = sf_world
    conversation = _conversation(deliver(world.alice, JANE, "Renewal?", NOON_UTC))
    outcome = engine.log_conversation(
        world.alice, conversation, ids["jane"], {"priority": "High"}, ids["opportunity"]
    )
    assert outcome.state == "written"
    [task] = fake_sf.records("Task")
    assert (task["WhatId"], task["Priority"]) == (ids["opportunity"], "High")
    assert task["Subject"] == "SMS conversation with Jane Roe (Nov 17, 2026)"


def test_expired_token_is_refreshed_once_and_persisted(sf_world, fake_sf):
    world, ids = sf_world
    conversation = _conversation(deliver(world.alice, JANE, "Hi", NOON_UTC))
    engine.find_records(world.alice, JANE)
    before = db.session.scalar(select(CrmConnection.encrypted_credentials))
    fake_sf.expire_access_tokens()

    assert engine.log_conversation(world.alice, conversation, ids["jane"], {}).state == "written"
    assert _calls(fake_sf)["token"] == 1 and _calls(fake_sf)["create"] == 2  # 401, then ok
    after = db.session.scalar(select(CrmConnection.encrypted_credentials))
    assert after != before
    assert decrypt_credentials(after).access_token != decrypt_credentials(before).access_token
    assert decrypt_credentials(after).access_token not in after  # encrypted at rest


def test_revoked_refresh_token_fails_with_reconnect(sf_world, fake_sf):
    world, ids = sf_world
    conversation = _conversation(deliver(world.alice, JANE, "Hi", NOON_UTC))
    engine.find_records(world.alice, JANE)
    fake_sf.expire_access_tokens()
    fake_sf.revoke_refresh_tokens()

    assert engine.log_conversation(world.alice, conversation, ids["jane"], {}).state == "failed"
    status = engine.log_status(world.alice, conversation)
    assert status.failed_error == "Reconnect your CRM"
    assert fake_sf.records("Task") == []


def test_crm_down_schedules_a_retry_with_backoff_then_writes_once(sf_world, fake_sf):
    world, ids = sf_world
    conversation = _conversation(deliver(world.alice, JANE, "Hi", NOON_UTC))
    engine.find_records(world.alice, JANE)
    fake_sf.fail_next("POST sobjects/Task", 503)

    assert engine.log_conversation(world.alice, conversation, ids["jane"], {}).state == "pending"
    activity = _activity()
    assert activity.attempts == 1 and "503" in activity.last_error
    assert activity.next_attempt_at is not None and activity.crm_log_id is None
    [row] = engine.log_status(world.alice, conversation).activities
    assert (row.state, row.last_error) == ("pending", activity.last_error)

    assert drain() == 1
    assert _activity().state == "written" and _activity().attempts == 0
    assert len(fake_sf.records("Task")) == 1
    # The retry looked for a Task the failed create might have made before creating one.
    assert _calls(fake_sf)["query"] == 2 and _calls(fake_sf)["create"] == 2


def test_retry_after_is_honoured(sf_world, fake_sf):
    world, ids = sf_world
    conversation = _conversation(deliver(world.alice, JANE, "Hi", NOON_UTC))
    engine.find_records(world.alice, JANE)
    fake_sf.fail_next("POST sobjects/Task", 429, headers={"Retry-After": "120"})
    engine.log_conversation(world.alice, conversation, ids["jane"], {})
    activity = _activity()
    waited = (activity.next_attempt_at - activity.updated_at).total_seconds()
    assert 119 <= waited <= 121
    [scheduled] = huey.scheduled()
    assert (scheduled.eta - activity.updated_at.replace(tzinfo=None)).total_seconds() >= 119


def test_after_max_attempts_the_log_fails_with_the_message(sf_world, fake_sf, app):
    world, ids = sf_world
    app.config["CRM_LOG_MAX_ATTEMPTS"] = 3
    conversation = _conversation(deliver(world.alice, JANE, "Hi", NOON_UTC))
    engine.find_records(world.alice, JANE)
    fake_sf.fail_next("POST sobjects/Task", 503, times=10)
    engine.log_conversation(world.alice, conversation, ids["jane"], {})
    drain()
    activity = _activity()
    assert activity.state == "failed"
    assert activity.last_error.startswith("The CRM did not answer after 3 tries:")
    assert _calls(fake_sf)["create"] == 3


def test_a_slow_crm_times_out_and_the_retry_finds_the_task_instead_of_duplicating(
    sf_world, fake_sf, app
):
    world, ids = sf_world
    conversation = _conversation(deliver(world.alice, JANE, "Hi", NOON_UTC))
    engine.find_records(world.alice, JANE)
    app.config["CRM_HTTP_TIMEOUT"] = 0.3
    fake_sf.latency = 0.8  # longer than the timeout: the client gives up, the Task lands

    assert engine.log_conversation(world.alice, conversation, ids["jane"], {}).state == "pending"
    assert "timed out" in _activity().last_error
    deadline = time.monotonic() + 10
    while not fake_sf.records("Task") and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for the fake's thread to finish, not for a timer
    fake_sf.latency = 0.0

    drain()
    [task] = fake_sf.records("Task")
    assert _activity().crm_log_id == task["Id"] and _activity().state == "written"
    assert _calls(fake_sf)["create"] == 1 and _calls(fake_sf)["update"] == 1


def test_a_validation_error_fails_with_the_crms_message_and_retry_succeeds(sf_world, fake_sf):
    world, ids = sf_world
    conversation = _conversation(deliver(world.alice, JANE, "Hi", NOON_UTC))
    engine.find_records(world.alice, JANE)
    message = "Comments must mention an order number"
    fake_sf.fail_next(
        "POST sobjects/Task",
        400,
        body=[{"message": message, "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": []}],
    )
    assert engine.log_conversation(world.alice, conversation, ids["jane"], {}).state == "failed"
    assert engine.log_status(world.alice, conversation).failed_error == message
    assert tasks.sweep()["activities"] == 0  # a failure waits for the user, not the sweeper

    assert engine.retry_failed(world.alice, conversation) == 1
    assert _activity().state == "written" and len(fake_sf.records("Task")) == 1


class SimulatedCrash(BaseException):
    """The process dies: nothing after this point runs, not even error handlers."""


def test_a_crash_between_the_crm_create_and_the_commit_never_duplicates(
    sf_world, fake_sf, clock, monkeypatch
):
    world, ids = sf_world
    conversation = _conversation(deliver(world.alice, JANE, "Hi", NOON_UTC))
    engine.find_records(world.alice, JANE)

    def die(*args, **kwargs):
        raise SimulatedCrash

    monkeypatch.setattr(writer, "finish", die)
    with pytest.raises(SimulatedCrash):
        engine.log_conversation(world.alice, conversation, ids["jane"], {})
    monkeypatch.undo()
    db.session.rollback()
    assert len(fake_sf.records("Task")) == 1  # the CRM has it; our commit never happened
    activity = _activity()
    assert activity.crm_log_id is None and activity.create_started_at is not None

    assert tasks.sweep()["activities"] == 0  # the dead worker's claim has not expired yet
    clock.shift(writer.CLAIM_LEASE + timedelta(seconds=1))
    assert tasks.sweep()["activities"] == 1

    [task] = fake_sf.records("Task")
    assert _activity().crm_log_id == task["Id"] and _activity().state == "written"
    assert _calls(fake_sf)["create"] == 1 and _calls(fake_sf)["update"] == 1
