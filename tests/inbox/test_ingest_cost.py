"""What one message and one mark-read cost: a fixed statement budget, flat in thread length."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.inbox.summary_check import assert_summaries_exact, counting_statements
from tests.mailbox import ALICE_NUMBER, JANE, MARCO
from tests.records import T0, minutes, sms
from widget.extensions import db
from widget.inbox.batch import ingest_page
from widget.inbox.events import handle_instant_event
from widget.inbox.service import mark_conversation_read
from widget.models import Conversation, Extension, Message, RealtimeEvent

STATEMENTS_PER_MESSAGE = 8


def thread_of(mailbox, other: str, length: int, prefix: str) -> None:
    """A thread of ``length`` read messages with ``other``, stored in pages."""
    records = [
        sms(
            f"{prefix}{n}",
            other=other,
            own=ALICE_NUMBER,
            text=f"old message {n}",
            created=T0 + minutes(n),
            read="Read",
            direction="Inbound" if n % 2 else "Outbound",
        )
        for n in range(length)
    ]
    for start in range(0, length, 1000):
        ingest_page(mailbox.alice, records[start : start + 1000], "ringcentral")
    db.session.commit()


ALICE_PLATFORM_ID = "ext-101"  # build_mailbox's Alice


def instant(record: dict) -> dict:
    """The ``/message-store/instant`` notification of ``record`` for Alice."""
    return {
        "uuid": f"event-{record['id']}",
        "event": f"/restapi/v1.0/account/acct-1/extension/{ALICE_PLATFORM_ID}"
        "/message-store/instant?type=SMS",
        "ownerId": ALICE_PLATFORM_ID,
        "body": {**record, "eventType": "Create"},
    }


def inbound_cost(other: str, message_id: str) -> dict:
    record = sms(message_id, other=other, own=ALICE_NUMBER, created=T0 + minutes(10**5))
    db.session.expunge_all()  # as in a fresh request: nothing loaded beforehand
    with counting_statements() as counts:
        handle_instant_event("sandbox", instant(record))
    return counts


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_an_inbound_message_costs_the_same_on_a_short_and_a_long_thread(kind, request):
    app = request.getfixturevalue("app" if kind == "sqlite" else "pg_app")
    from tests.mailbox import build_mailbox

    with app.app_context():
        mailbox = build_mailbox()
        thread_of(mailbox, JANE, 10, "short-")
        thread_of(mailbox, MARCO, 3000, "long-")

        inbound_cost(JANE, "warm-up")  # the first event of a channel creates its counter
        short = inbound_cost(JANE, "new-short")
        long = inbound_cost(MARCO, "new-long")

        assert short["statements"] == long["statements"] <= STATEMENTS_PER_MESSAGE, "\n".join(
            s[:120] for s in long["sql"]
        )
        assert short["commits"] == long["commits"] == 1
        # The push was logged by that one commit: the real-time outbox is in it.
        assert db.session.scalar(select(RealtimeEvent.html).order_by(RealtimeEvent.id.desc()))
        # No statement read the thread: none selects messages at all.
        assert not [s for s in long["sql"] if s.lstrip().upper().startswith("SELECT MESSAGES")]
        assert_summaries_exact()


def test_a_new_conversation_costs_no_more_than_an_existing_one(mailbox):
    thread_of(mailbox, JANE, 5, "t-")
    inbound_cost(JANE, "warm-up")  # the first event of a channel creates its counter
    existing = inbound_cost(JANE, "again")
    fresh = inbound_cost("+12125550199", "first-ever")
    assert fresh["statements"] == existing["statements"] <= STATEMENTS_PER_MESSAGE
    assert_summaries_exact()


def mark_read_cost(alice_id: int, other: str, prefix: str) -> dict:
    for n in range(3):
        record = sms(f"{prefix}u{n}", other=other, own=ALICE_NUMBER, created=T0 + minutes(9**6 + n))
        handle_instant_event("sandbox", instant(record))
    conversation_id = db.session.scalar(
        select(Message.conversation_id).where(Message.platform_message_id == f"{prefix}u0")
    )
    db.session.expunge_all()
    conversation = db.session.get(Conversation, conversation_id)
    extension = db.session.get(Extension, alice_id)
    with counting_statements() as counts:
        assert mark_conversation_read(extension, conversation) == 3
    return counts


def test_mark_read_costs_the_same_on_a_short_and_a_long_thread(mailbox):
    thread_of(mailbox, JANE, 10, "short-")
    thread_of(mailbox, MARCO, 3000, "long-")

    alice_id = mailbox.alice.id
    short = mark_read_cost(alice_id, JANE, "s")
    long = mark_read_cost(alice_id, MARCO, "l")

    assert short["statements"] == long["statements"]
    assert short["commits"] == long["commits"]
    assert_summaries_exact()
    assert (
        db.session.get(
            Conversation,
            db.session.scalar(
                select(Message.conversation_id).where(Message.platform_message_id == "lu0")
            ),
        ).unread_count
        == 0
    )


def test_a_push_that_cannot_be_rendered_leaves_an_outbox_row_not_a_lost_message(
    mailbox, monkeypatch
):
    from widget.models import PendingPush
    from widget.realtime import frames

    def broken(*args, **kwargs):
        raise RuntimeError("template exploded")

    monkeypatch.setattr(frames, "message_changes", broken)
    record = sms("kept", other=JANE, own=ALICE_NUMBER)
    handle_instant_event("sandbox", instant(record))

    assert db.session.scalar(select(Message.id).where(Message.platform_message_id == "kept"))
    # Left for the sweeper (push_leftovers), in the message's own commit.
    assert db.session.scalars(select(PendingPush)).one().reason == "created"


@pytest.mark.postgres
def test_on_postgresql_conversation_and_message_are_stored_by_one_statement(pg_app):
    """The upsert of the conversation and the message's insert travel as one statement;
    a record delivered again through it changes neither the thread nor the summary."""
    from tests.mailbox import build_mailbox

    with pg_app.app_context():
        mailbox = build_mailbox()
        thread_of(mailbox, JANE, 5, "t-")
        inbound_cost(JANE, "warm-up")
        first = inbound_cost(JANE, "delivered-twice")
        storing = [s for s in first["sql"] if "INSERT INTO messages" in s]
        assert len(storing) == 1 and "INSERT INTO conversations" in storing[0]
        assert not [s for s in first["sql"] if s.lstrip().startswith("INSERT INTO conversations")]
        thread = select(Message.id)
        counted = select(Conversation.unread_count, Conversation.message_count).where(
            Conversation.participants.contains(JANE)
        )
        stored = (len(db.session.scalars(thread).all()), db.session.execute(counted).one())

        inbound_cost(JANE, "delivered-twice")

        db.session.expire_all()
        assert (len(db.session.scalars(thread).all()), db.session.execute(counted).one()) == stored
        assert_summaries_exact()
