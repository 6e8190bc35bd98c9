"""The real-time outbox: a committed change is pushed even when its push was lost.

``announce`` writes a ``PendingPush`` row with the change; the push deletes it in the
transaction that logs the frames. These tests cut the path in between (no
``send_announcements`` after the commit, a push that raises, a late announcer) and check
that the sweeper logs the push exactly once.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.realtime.conftest import deliver, ext, listen, parse
from widget.extensions import db
from widget.inbox.announce import announce, send_announcements
from widget.inbox.ingest import ingest_record
from widget.inbox.service import mark_conversation_read
from widget.lifecycle.service import mark_conversation_unread
from widget.models import Conversation, Message, PendingPush, RealtimeEvent
from widget.models.types import utcnow
from widget.realtime import frames
from widget.realtime.service import publish_message_changes, push_leftovers

JANE = "+14155550123"
ALICE_SMS = "+16505550101"


def pending() -> int:
    return db.session.scalar(select(func.count()).select_from(PendingPush))


def logged(extension) -> list[RealtimeEvent]:
    return list(
        db.session.scalars(
            select(RealtimeEvent)
            .where(RealtimeEvent.channel == f"ext:{extension.id}")
            .order_by(RealtimeEvent.seq)
        )
    )


def jane_conversation(alice) -> Conversation:
    return db.session.scalars(
        select(Conversation).where(
            Conversation.extension_id == alice.id, Conversation.participants.contains(JANE)
        )
    ).first()


def committed_unpushed(alice) -> int:
    """Commit an announced change of one of Alice's messages and never push it.

    Returns how many events Alice's channel had before.
    """
    message = db.session.scalars(select(Message).where(Message.extension_id == alice.id)).first()
    before = len(logged(alice))
    announce(alice, [message.id], "updated")
    db.session.commit()
    db.session.info.clear()  # the announcing process is gone
    return before


def test_the_seeded_history_leaves_nothing_to_push(demo):
    assert pending() == 0


def test_a_pushed_change_leaves_no_outbox_row(demo):
    alice = ext("101")
    before = len(logged(alice))

    deliver(JANE, ALICE_SMS, "pushed at once")

    assert pending() == 0
    assert len(logged(alice)) == before + 1
    assert "pushed at once" in logged(alice)[-1].html


def test_a_crash_after_the_commit_leaves_the_push_to_the_sweeper(demo):
    alice = ext("101")
    inbox = listen(demo, alice)
    message = db.session.scalars(
        select(Message).where(Message.conversation_id == jane_conversation(alice).id).limit(1)
    ).one()
    before = len(logged(alice))
    # The change commits with its outbox row; the process dies before announcing it.
    message.subject = "changed before the crash"
    announce(alice, [message.id], "updated")
    db.session.commit()
    db.session.info.clear()
    assert pending() == 1

    assert push_leftovers(now=utcnow() + timedelta(seconds=5)) == 0  # still young
    assert push_leftovers(now=utcnow() + timedelta(seconds=60)) == 1

    assert pending() == 0
    events = logged(alice)
    assert len(events) == before + 1
    bubble = parse(events[-1].html).find("li", id=f"message-{message.id}")
    assert "changed before the crash" in bubble.get_text()
    (delivery,) = inbox.drain()
    assert delivery.seq == events[-1].seq
    assert push_leftovers(now=utcnow() + timedelta(seconds=60)) == 0


def test_a_failed_push_is_retried_by_the_sweeper(demo, monkeypatch):
    alice = ext("101")
    conversation = jane_conversation(alice)
    mark_conversation_read(alice, conversation)  # pushed normally
    before = len(logged(alice))

    def broken(*args, **kwargs):
        raise RuntimeError("renderer down")

    with monkeypatch.context() as patch:
        patch.setattr(frames, "message_changes", broken)
        newest = mark_conversation_unread(alice, conversation)  # the change itself succeeds

    assert db.session.get(Message, newest.id).read_status.value == "Unread"
    assert pending() == 1 and len(logged(alice)) == before
    assert push_leftovers(now=utcnow() + timedelta(minutes=1)) == 1
    assert pending() == 0 and len(logged(alice)) == before + 1


def test_a_rolled_back_change_announces_nothing(demo):
    alice = ext("101")
    heard = []
    message = db.session.scalars(select(Message).where(Message.extension_id == alice.id)).first()

    announce(alice, [message.id], "updated")
    db.session.rollback()
    from widget.inbox.ingest import messages_changed

    with messages_changed.connected_to(lambda sender, **kw: heard.append(kw)):
        send_announcements()

    assert heard == [] and pending() == 0


def test_a_late_announcer_does_not_push_what_the_sweeper_pushed(demo):
    alice = ext("101")
    message = db.session.scalars(select(Message).where(Message.extension_id == alice.id)).first()
    before = len(logged(alice))
    announce(alice, [message.id], "updated")
    db.session.commit()

    assert push_leftovers(now=utcnow() + timedelta(minutes=1)) == 1
    send_announcements()  # the announcing process wakes up after the sweep

    assert len(logged(alice)) == before + 1


def test_a_push_older_than_a_day_is_dropped(demo):
    alice = ext("101")
    before = committed_unpushed(alice)

    assert push_leftovers(now=utcnow() + timedelta(days=2)) == 0

    assert pending() == 0 and len(logged(alice)) == before


@pytest.mark.postgres
def test_two_pushers_of_one_change_log_it_once_on_postgresql(pg_app):
    from tests.mailbox import ALICE_NUMBER, build_mailbox
    from tests.records import sms

    with pg_app.test_request_context():
        mailbox = build_mailbox()
        message = ingest_record(
            mailbox.alice, sms("pg-1", other=JANE, own=ALICE_NUMBER), "sandbox"
        ).message
        announce(mailbox.alice, [message.id], "created")
        db.session.commit()
        alice_id, message_id = mailbox.alice.id, message.id
        (pending_id,) = db.session.scalars(select(PendingPush.id)).all()
        db.session.remove()

    start = threading.Barrier(2)
    errors = []

    def push():
        try:
            with pg_app.test_request_context():
                alice = db.session.get(type(mailbox.alice), alice_id)
                start.wait(timeout=5)
                publish_message_changes(alice, [message_id], "created", pending_id)
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=push) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert errors == []
    with pg_app.app_context():
        assert pending() == 0
        count = db.session.scalar(
            select(func.count())
            .select_from(RealtimeEvent)
            .where(RealtimeEvent.channel == f"ext:{alice_id}")
        )
        assert count == 1


def test_the_database_failing_while_the_push_renders_fails_the_change_with_503(
    demo_app, monkeypatch
):
    """A database lost in the middle of the change (here: while the frame reads names)
    leaves a transaction that cannot commit: the request says 503, try again, and keeps
    nothing; swallowing it made the next step meet the dead transaction, a 500."""
    from sqlalchemy.exc import OperationalError

    def database_gone(*args, **kwargs):
        raise OperationalError("SELECT names", {}, Exception("terminating connection"))

    with demo_app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Message))
        db.session.remove()
    monkeypatch.setattr(frames, "message_changes", database_gone)
    response = demo_app.test_client().post(
        "/sandbox/inbound", json={"from": JANE, "to": ALICE_SMS, "text": "lost with the db"}
    )
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"]
    with demo_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == before
        assert pending() == 0
