"""Concurrent delivery on PostgreSQL: unique constraints and savepoints, not luck."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from tests.inbox.summary_check import assert_summaries_exact
from tests.mailbox import ALICE_NUMBER, JANE, build_mailbox, row_counts
from tests.records import T0, minutes, sms
from widget.extensions import db
from widget.inbox import ingest as ingest_module
from widget.inbox.batch import ingest_page
from widget.inbox.ingest import ingest_record
from widget.models import Availability, Conversation, Extension, Message


def _in_threads(app, extension_id, records, monkeypatch, step: str, batch=False):
    """Ingest each of ``records`` in its own thread; every thread waits for the others at
    ``step`` (a function of ``widget.inbox.ingest``) the first time it gets there."""
    barrier = threading.Barrier(len(records), timeout=10)
    local = threading.local()
    original = getattr(ingest_module, step)

    def wait_then_go(*args):
        if not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()
        return original(*args)

    monkeypatch.setattr(ingest_module, step, wait_then_go)
    errors: list[BaseException] = []

    def worker(record):
        with app.app_context():
            try:
                extension = db.session.get(Extension, extension_id)
                if batch:
                    ingest_page(extension, [record], "ringcentral")
                else:
                    ingest_record(extension, record, "ringcentral")
                db.session.commit()
            except BaseException as exc:  # reported to the test thread
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(r,)) for r in records]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    monkeypatch.setattr(ingest_module, step, original)
    return errors


def _race(app, extension_id: int, records: list[dict], monkeypatch) -> list[BaseException]:
    """Ingest ``records`` from as many threads, all parsed before any of them writes."""
    return _in_threads(app, extension_id, records, monkeypatch, "_store_new")


@pytest.mark.postgres
def test_concurrent_delivery_of_one_record_makes_one_message(pg_app, monkeypatch):
    with pg_app.app_context():
        alice_id = build_mailbox().alice.id
        db.session.remove()

    record = sms("9070", other=JANE, own=ALICE_NUMBER)
    errors = _race(pg_app, alice_id, [record, dict(record)], monkeypatch)

    assert errors == []
    with pg_app.app_context():
        assert row_counts()[:2] == (1, 1)
        conversation = db.session.scalars(select(Conversation)).one()
        assert (conversation.unread_count, conversation.message_count) == (1, 1)


@pytest.mark.postgres
def test_concurrent_first_messages_share_one_conversation(pg_app, monkeypatch):
    with pg_app.app_context():
        alice_id = build_mailbox().alice.id
        db.session.remove()

    records = [
        sms("9080", other=JANE, own=ALICE_NUMBER, text="one"),
        sms("9081", other=JANE, own=ALICE_NUMBER, text="two", created=T0 + minutes(1)),
    ]
    errors = _race(pg_app, alice_id, records, monkeypatch)

    assert errors == []
    with pg_app.app_context():
        assert row_counts()[:2] == (2, 1)
        conversation = db.session.scalars(select(Conversation)).one()
        assert {m.subject for m in conversation.messages} == {"one", "two"}


def _versions_race(app, extension_id: int, versions: list[dict], monkeypatch, batch: bool):
    """Ingest ``versions`` of one stored record at once: every thread has read the stored
    version before any of them writes (the window a lost update needs)."""
    return _in_threads(app, extension_id, versions, monkeypatch, "version_delta", batch)


@pytest.mark.postgres
@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
def test_two_versions_at_once_leave_the_newest_stored(pg_app, monkeypatch, batch):
    with pg_app.app_context():
        alice_id = build_mailbox().alice.id
        db.session.remove()

    for trial in range(15):
        message_id = f"race-{trial}"
        base = sms(message_id, other=JANE, own=ALICE_NUMBER, created=T0 + minutes(trial))
        with pg_app.app_context():
            ingest_record(db.session.get(Extension, alice_id), base, "ringcentral")
            db.session.commit()
        older = dict(base, readStatus="Read", lastModifiedTime="2025-06-03T10:00:00.000Z")
        newer = dict(base, availability="Deleted", lastModifiedTime="2025-06-03T10:00:01.000Z")
        # Alternate which one starts first: the outcome must not depend on it.
        versions = [older, newer] if trial % 2 else [newer, older]

        errors = _versions_race(pg_app, alice_id, versions, monkeypatch, batch)

        assert errors == []
        with pg_app.app_context():
            stored = db.session.scalars(
                select(Message).where(Message.platform_message_id == message_id)
            ).one()
            assert stored.last_modified_at == T0.replace(day=3, hour=10, second=1), trial
            assert stored.availability == Availability.DELETED, trial
            assert_summaries_exact()
            db.session.remove()
