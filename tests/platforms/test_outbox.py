"""Platform calls run after the commit that records them, and a sweeper retries leftovers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from widget.extensions import db
from widget.inbox.service import mark_conversation_read
from widget.lifecycle.service import delete_message, mark_conversation_unread
from widget.models import (
    Availability,
    Conversation,
    Message,
    PendingPlatformUpdate,
    PlatformUpdateKind,
    ReadStatus,
)
from widget.models.types import utcnow
from widget.platforms import get_platform
from widget.platforms.base import PlatformRateLimited, PlatformRefused, PlatformUnavailable
from widget.platforms.outbox import record_update, send_due_updates, send_recorded_updates
from widget.platforms.tasks import send_pending_platform_updates


class Calls:
    """Stands in for the platform's update calls: records them, or fails as told."""

    def __init__(self) -> None:
        self.read: list[tuple[list[int], bool, set[str]]] = []
        self.availability: list[tuple[list[int], Availability]] = []
        self.failure: Exception | None = None

    def update_read_status(self, extension, messages, read):
        if self.failure is not None:
            raise self.failure
        ids = [m.id for m in messages]
        # What another connection sees: the change must already be committed.
        with db.engine.connect() as other:
            seen = other.execute(
                select(Message.__table__.c.read_status).where(Message.__table__.c.id.in_(ids))
            ).scalars()
            self.read.append((ids, read, set(seen)))

    def update_availability(self, extension, messages, availability):
        if self.failure is not None:
            raise self.failure
        self.availability.append(([m.id for m in messages], availability))


@pytest.fixture
def calls(demo_ctx, monkeypatch) -> Calls:
    recorder = Calls()
    platform = get_platform()
    monkeypatch.setattr(platform, "update_read_status", recorder.update_read_status)
    monkeypatch.setattr(platform, "update_availability", recorder.update_availability)
    return recorder


def _unread_conversation(extension) -> Conversation:
    return db.session.scalars(
        select(Conversation)
        .where(Conversation.extension_id == extension.id, Conversation.unread_count > 0)
        .order_by(Conversation.id)
    ).first()


def _pending() -> list[PendingPlatformUpdate]:
    return list(db.session.scalars(select(PendingPlatformUpdate)))


def test_mark_read_tells_the_platform_after_the_commit(ext, calls):
    alice = ext("101")
    conversation = _unread_conversation(alice)

    changed = mark_conversation_read(alice, conversation)

    assert len(calls.read) == 1
    ids, read, seen_by_another_connection = calls.read[0]
    assert (len(ids), read) == (changed, True)
    assert seen_by_another_connection == {"Read"}
    assert _pending() == []


def test_mark_unread_and_delete_tell_the_platform_after_the_commit(ext, calls):
    alice = ext("101")
    conversation = _unread_conversation(alice)
    mark_conversation_read(alice, conversation)

    newest = mark_conversation_unread(alice, conversation)
    delete_message(alice, newest)

    assert calls.read[-1] == ([newest.id], False, {"Unread"})
    assert calls.availability == [([newest.id], Availability.DELETED)]
    assert _pending() == []


def test_a_failed_call_stays_pending_and_the_sweeper_completes_it(ext, calls):
    alice = ext("101")
    conversation = _unread_conversation(alice)
    calls.failure = PlatformUnavailable("RingCentral is down")

    changed = mark_conversation_read(alice, conversation)  # the change itself stands

    assert changed > 0 and calls.read == []
    [row] = _pending()
    assert (row.kind, row.attempts, row.last_error) == (
        PlatformUpdateKind.READ_STATUS,
        1,
        "RingCentral is down",
    )
    assert send_due_updates(utcnow()) == 0  # not due yet: backing off
    calls.failure = None
    assert send_due_updates(utcnow() + timedelta(minutes=3)) == 1
    assert calls.read[0][1:] == (True, {"Read"})
    assert _pending() == []


def test_a_rate_limit_is_honoured_before_retrying(ext, calls):
    alice = ext("101")
    calls.failure = PlatformRateLimited("Request rate exceeded", retry_after=600)
    mark_conversation_read(alice, _unread_conversation(alice))
    calls.failure = None

    assert send_due_updates(utcnow() + timedelta(minutes=5)) == 0
    assert calls.read == []
    assert send_due_updates(utcnow() + timedelta(minutes=11)) == 1
    assert len(calls.read) == 1 and _pending() == []


def test_a_rolled_back_change_calls_nothing(ext, calls):
    alice = ext("101")
    message = db.session.scalars(select(Message).where(Message.extension_id == alice.id)).first()
    message.read_status = ReadStatus.UNREAD
    record_update(alice, [message], PlatformUpdateKind.READ_STATUS)

    db.session.rollback()
    send_recorded_updates()

    assert calls.read == [] and _pending() == []


def test_a_call_left_by_a_crash_is_made_by_the_periodic_task(ext, calls):
    alice = ext("101")
    message = db.session.scalars(select(Message).where(Message.extension_id == alice.id)).first()
    record_update(alice, [message], PlatformUpdateKind.AVAILABILITY)
    db.session.commit()  # ...and the process dies before send_recorded_updates
    db.session.info.clear()

    assert send_pending_platform_updates.call_local() == 0  # the request's grace period
    [row] = _pending()
    row.not_before = utcnow() - timedelta(seconds=1)
    db.session.commit()

    assert send_pending_platform_updates.call_local() == 1
    assert calls.availability == [([message.id], message.availability)]
    assert _pending() == []


def test_a_refused_call_is_dropped_and_a_stale_one_given_up(ext, calls, caplog):
    alice = ext("101")
    calls.failure = PlatformRefused("Message not found")
    delete_message(
        alice, db.session.scalars(select(Message).where(Message.extension_id == alice.id)).first()
    )

    assert calls.availability == [] and _pending() == []
    assert "refused" in caplog.text

    message = db.session.scalars(select(Message).where(Message.extension_id == alice.id)).first()
    record_update(alice, [message], PlatformUpdateKind.AVAILABILITY)
    db.session.commit()
    db.session.info.clear()
    assert send_due_updates(utcnow() + timedelta(days=2)) == 0
    assert _pending() == [] and "giving up" in caplog.text
