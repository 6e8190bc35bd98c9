"""Concurrent delivery on PostgreSQL: unique constraints and savepoints, not luck."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from widget.extensions import db
from widget.inbox import ingest as ingest_module
from widget.inbox.ingest import ingest_record
from widget.models import Conversation, Extension

from .conftest import ALICE_NUMBER, JANE, build_mailbox, row_counts
from .records import T0, minutes, sms


def _race(app, extension_id: int, records: list[dict], monkeypatch) -> list[BaseException]:
    """Ingest ``records`` from as many threads, all past the lookup before any insert."""
    barrier = threading.Barrier(len(records), timeout=10)
    local = threading.local()
    original_find = ingest_module._find

    def find_then_wait(platform, platform_message_id):
        found = original_find(platform, platform_message_id)
        if not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()  # everyone has seen "no such message" before anyone inserts
        return found

    monkeypatch.setattr(ingest_module, "_find", find_then_wait)
    errors: list[BaseException] = []

    def worker(record):
        with app.app_context():
            try:
                extension = db.session.get(Extension, extension_id)
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
    return errors


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
