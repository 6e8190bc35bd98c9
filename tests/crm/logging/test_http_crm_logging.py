"""End-to-end logging through the HubSpot, Pipedrive and Clio fakes over real HTTP:
one write per conversation-day, token refresh racing in two workers, rate limits, the
CRM's own refusal text, hostile text and bodies over the CRM's limit."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from connectors.http import close_pooled_http
from connectors.testing import HOSTILE_TEXT
from tests.crm.conftest import JANE, NOON_UTC, SAM, build_world, deliver, drain
from tests.crm.http_crms import HTTP_CRMS
from widget.crm_logging import engine
from widget.extensions import db
from widget.models import Conversation, CrmActivity, Extension


def _conversation(message) -> Conversation:
    return db.session.get(Conversation, message.conversation_id)


def _activities() -> list[CrmActivity]:
    db.session.expire_all()
    return list(db.session.scalars(select(CrmActivity)))


def test_one_by_one_is_one_create_then_one_update_per_message(crm_world, crm, fake, clock):
    world, _jane, _ = crm_world
    engine.set_auto_log(world.alice, True)
    deliver(world.alice, JANE, "message 0", NOON_UTC)
    fake.reset_calls()
    for minute in (1, 2):
        deliver(world.alice, JANE, f"message {minute}", NOON_UTC + timedelta(minutes=minute))
    # Lookups are cached and every update is a single call (Clio: IF-MATCH with the
    # ETag remembered from the previous write).
    assert len(fake.calls) == 2, fake.calls
    [body] = crm.bodies(fake)
    assert all(f"message {n}" in body for n in range(3))
    [activity] = _activities()
    assert activity.state == "written" and activity.crm_log_id


def test_messages_pending_together_are_one_create(crm_world, crm, fake, app, clock):
    world, *_ = crm_world
    app.config["CRM_LOG_COALESCE_SECONDS"] = 3
    engine.set_auto_log(world.alice, True)
    for second in range(3):
        deliver(world.alice, JANE, f"burst {second}", NOON_UTC + timedelta(seconds=second))
    assert crm.bodies(fake) == []
    drain()
    [body] = crm.bodies(fake)
    assert all(f"burst {n}" in body for n in range(3))


def test_manual_log_with_related_to(crm_world, crm, fake):
    world, jane, related = crm_world
    [record] = engine.find_records(world.alice, JANE)
    assert record.id == jane
    from connectors.records import RELATED_TO

    assert related in {o["const"] for o in record.additional_info[RELATED_TO]}
    conversation = _conversation(deliver(world.alice, JANE, "Renewal?", NOON_UTC))
    outcome = engine.log_conversation(world.alice, conversation, jane, {}, related)
    assert outcome.state == "written"
    assert len(crm.bodies(fake)) == 1 and "Renewal?" in crm.bodies(fake)[0]


def test_an_expired_token_racing_in_two_workers_is_refreshed_once(crm_world, crm, fake, app):
    world, *_ = crm_world
    crm.seed_jane(
        fake, {"hubspot": "2125550187", "pipedrive": "212 555 0187"}.get(crm.id, "+12125550187")
    )
    alice_id = world.alice.id
    db.session.commit()
    fake.expire_access_tokens()
    fake.latency = 0.2  # both workers meet the 401 before either refresh finishes
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def work(index: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                alice = db.session.get(Extension, alice_id)
                results[index] = engine.find_records(alice, (JANE, SAM)[index])
            except Exception as exc:  # surfaced below
                results[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [len(found) for found in results] == [1, 1], results
    assert fake.refresh_count == 1


def test_a_rate_limit_reschedules_the_write_after_the_crms_wait(crm_world, crm, fake):
    world, jane, _ = crm_world
    conversation = _conversation(deliver(world.alice, JANE, "Hi", NOON_UTC))
    engine.find_records(world.alice, JANE)
    # (shortest, longest) wait: Pipedrive's reset is the rest of its 2-second window.
    shortest, longest = {"hubspot": (9, 11), "pipedrive": (0.5, 3), "clio": (29, 31)}[crm.id]
    if crm.id == "hubspot":
        # HubSpot's rolling 10-second limit answers without Retry-After.
        body = {
            "status": "error",
            "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT",
            "policyName": "TEN_SECONDLY_ROLLING",
            "category": "RATE_LIMITS",
        }
        fake.fail_next(crm.create_path, 429, body=body)
    elif crm.id == "pipedrive":
        fake.burst_limit = len(fake._burst)  # the 2-second window is spent
    else:
        fake.fail_next(crm.create_path, 429, headers={"Retry-After": "30"})

    assert engine.log_conversation(world.alice, conversation, jane, {}).state == "pending"
    [activity] = _activities()
    waited = (activity.next_attempt_at - activity.updated_at).total_seconds()
    assert shortest <= waited <= longest, activity.last_error
    assert crm.bodies(fake) == []


def test_pipedrive_daily_budget_spent_is_not_called_again_until_reset(app, clock):
    crm = HTTP_CRMS["pipedrive"]
    with crm.make_fake() as fake:
        app.config.update(crm.settings(fake), CRM_HTTP_TIMEOUT=3)
        with app.app_context():
            world = build_world()
            jane, _ = crm.seed_jane(fake)
            crm.connect(world.alice, fake)
            conversation = _conversation(deliver(world.alice, JANE, "Hi", NOON_UTC))
            engine.find_records(world.alice, JANE)
            fake.daily_budget = fake.budget_spent  # nothing left today
            assert engine.log_conversation(world.alice, conversation, jane, {}).state == "pending"
            calls = len(fake.calls)
            [activity] = _activities()
            waited = (activity.next_attempt_at - activity.updated_at).total_seconds()
            assert waited > 3600  # until the daily reset (midnight UTC), not a blind retry
            # Another write before the reset spends no request at all.
            other = _conversation(deliver(world.alice, JANE, "Again", NOON_UTC + timedelta(days=1)))
            engine.log_conversation(world.alice, other, jane, {})
            assert len(fake.calls) == calls
    close_pooled_http()


def test_a_refusal_shows_the_crms_own_message_and_retry_succeeds(crm_world, crm, fake):
    world, jane, _ = crm_world
    conversation = _conversation(deliver(world.alice, JANE, "Hi", NOON_UTC))
    engine.find_records(world.alice, JANE)
    message = "Body must mention a <matter> & an order number"
    status, body = crm.refusal(message)
    fake.fail_next(crm.create_path, status, body=body)

    assert engine.log_conversation(world.alice, conversation, jane, {}).state == "failed"
    assert engine.log_status(world.alice, conversation).failed_error == message
    assert engine.retry_failed(world.alice, conversation) == 1
    assert len(crm.bodies(fake)) == 1


def test_hostile_text_is_escaped_in_the_crms_body_format(crm_world, crm, fake):
    world, jane, _ = crm_world
    conversation = _conversation(deliver(world.alice, JANE, HOSTILE_TEXT, NOON_UTC))
    engine.log_conversation(world.alice, conversation, jane, {})
    [body] = crm.bodies(fake)
    assert "\x1b" not in body and "\u202e" not in body
    if crm.log_format == "text/html":
        assert "<script>" not in body and "&lt;script&gt;alert" in body
        assert "Tom &amp; &quot;Jerry&quot;" in body
    else:
        assert "<script>alert('x')</script> Tom & \"Jerry\"" in body


def test_a_body_over_the_crms_limit_is_shortened_with_a_marker_not_refused(
    crm_world, crm, fake, app
):
    world, jane, _ = crm_world
    limit = 900
    app.config[f"{crm.id.upper()}_BODY_MAX"] = limit
    # The fake now refuses anything longer: only a shortened body can be written.
    setattr(
        fake, {"hubspot": "body_max", "pipedrive": "note_max", "clio": "body_max"}[crm.id], limit
    )
    message = None
    for n in range(30):
        message = deliver(
            world.alice, JANE, f"line {n:02d} " + "x" * 40, NOON_UTC + timedelta(minutes=n)
        )
    assert engine.log_conversation(world.alice, _conversation(message), jane, {}).state == "written"
    [body] = crm.bodies(fake)
    assert len(body) <= limit
    assert "earlier line(s) omitted" in body and "line 29" in body and "line 00" not in body
    if crm.log_format == "text/html":
        assert body.count("<ul>") == body.count("</ul>") == 1
        assert body.count("<li>") == body.count("</li>")


class SimulatedCrash(BaseException):
    """The process dies: nothing after this point runs, not even error handlers."""


def test_a_crash_between_the_crm_create_and_the_commit_never_duplicates(
    crm_world, crm, fake, clock, monkeypatch
):
    from widget.crm_logging import tasks, writer

    world, jane, _ = crm_world
    conversation = _conversation(deliver(world.alice, JANE, "Hi", NOON_UTC))
    engine.find_records(world.alice, JANE)

    def die(*args, **kwargs):
        raise SimulatedCrash

    monkeypatch.setattr(writer, "finish", die)
    with pytest.raises(SimulatedCrash):
        engine.log_conversation(world.alice, conversation, jane, {})
    monkeypatch.undo()
    db.session.rollback()
    assert len(crm.bodies(fake)) == 1  # the CRM has it; our commit never happened
    [activity] = _activities()
    assert activity.crm_log_id is None

    clock.shift(writer.CLAIM_LEASE + timedelta(seconds=1))
    assert tasks.sweep()["activities"] == 1
    # The key kept at the CRM led the retry to the communication/activity it had made.
    [activity] = _activities()
    assert activity.state == "written" and activity.crm_log_id
    assert len(crm.bodies(fake)) == 1
