"""Two workers, one conversation-day: one CRM activity, on PostgreSQL and against real HTTP."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests.crm.conftest import JANE, NOON_UTC, deliver, salesforce_world
from widget.crm_logging import engine, writer
from widget.extensions import db
from widget.models import Conversation, CrmActivity, MessageLog

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_sf(pg_app, fake_sf):
    with pg_app.app_context():
        world, jane = salesforce_world(pg_app, fake_sf)
        messages = [
            deliver(world.alice, JANE, f"message {n}", NOON_UTC + timedelta(minutes=n))
            for n in range(3)
        ]
        db.session.commit()
        yield world, jane, messages[0].conversation_id
        db.session.remove()


def _in_threads(app, count: int, work) -> list:
    """Run ``work(index)`` in ``count`` threads started together; return results or errors."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[index] = work(index)
            except Exception as exc:  # surfaced to the test
                results[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_workers_logging_the_same_conversation_day_create_one_crm_activity(
    pg_app, pg_sf, fake_sf
):
    world, jane, conversation_id = pg_sf
    alice_id = world.alice.id
    engine.find_records(world.alice, JANE)  # both workers see the same cached match
    fake_sf.latency = 0.3  # widen the window in which both could write

    def log(_index: int):
        from widget.models import Extension

        extension = db.session.get(Extension, alice_id)
        conversation = db.session.get(Conversation, conversation_id)
        return engine.log_conversation(extension, conversation, jane, {}, day=date(2026, 11, 17))

    results = _in_threads(pg_app, 2, log)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[0].activity_ids == results[1].activity_ids
    assert fake_sf.call_count("POST", "sobjects/Task") == 1
    assert len(fake_sf.records("Task")) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(CrmActivity)) == 1
    assert db.session.scalar(select(func.count()).select_from(MessageLog)) == 3
    [activity] = db.session.scalars(select(CrmActivity)).all()
    assert activity.crm_log_id == fake_sf.records("Task")[0]["Id"]


def test_two_writers_racing_for_one_pending_activity_write_it_once(pg_app, pg_sf, fake_sf):
    world, jane, conversation_id = pg_sf
    fake_sf.fail_next("POST sobjects/Task", 503)  # leave the activity pending
    conversation = db.session.get(Conversation, conversation_id)
    engine.log_conversation(world.alice, conversation, jane, {})
    activity_id = db.session.scalar(select(CrmActivity.id))
    db.session.execute(
        CrmActivity.__table__.update().values(next_attempt_at=None)  # due now
    )
    db.session.commit()
    fake_sf.reset_calls()
    fake_sf.latency = 0.3

    results = _in_threads(pg_app, 2, lambda _i: writer.write_activity(activity_id).result)
    assert sorted(results) == ["skipped", "written"]
    assert fake_sf.call_count("POST", "sobjects/Task") == 1
    assert len(fake_sf.records("Task")) == 1


def test_the_database_refuses_a_second_activity_or_message_link(pg_app, pg_sf):
    world, jane, conversation_id = pg_sf
    conversation = db.session.get(Conversation, conversation_id)
    engine.log_conversation(world.alice, conversation, jane, {})
    activity = db.session.scalar(select(CrmActivity))
    duplicate = CrmActivity(
        extension_id=activity.extension_id,
        conversation_id=activity.conversation_id,
        connector_id="salesforce",
        log_date=activity.log_date,
        record_id=activity.record_id,
    )
    db.session.add(duplicate)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    link = db.session.scalar(select(MessageLog))
    db.session.add(
        MessageLog(message_id=link.message_id, record_id=link.record_id, activity_id=activity.id)
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
