"""Internal messages: a colleague's copy arrives with the send, not one status poll later,
and read receipts find the sender's copy by identity however late the copy was made."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.compose.conftest import extension, form_key, messages_of, post_form
from tests.compose.test_pager_groups import create, group_rows, reply
from widget.extensions import db
from widget.inbox.service import mark_conversation_read
from widget.models import Direction, Message, ReadReceipt

JANE = "+14155550123"


def test_a_page_reaches_the_colleague_with_the_send_not_a_poll_later(demo_app, demo_client, alice):
    demo_app.config["DELIVERY_POLL_SECONDS"] = 60  # a poll would come far too late
    response = create(demo_client, alice, "Floor 3", ["102", "103"])
    assert response.status_code == 200, response.data
    (mine,) = group_rows(demo_app, "101")
    sent = reply(demo_client, alice, mine.id, "Standup moved to 10")
    assert sent.status_code == 200, sent.data

    with demo_app.app_context():
        for number in ("102", "103"):
            (copy,) = messages_of(number, subject="Standup moved to 10")
            assert copy.direction == Direction.INBOUND


def test_a_receipt_finds_a_copy_made_seconds_after_the_send(demo_app, demo_client, alice):
    demo_app.config["DELIVERY_POLL_SECONDS"] = 60
    create(demo_client, alice, "Late copies", ["102", "103"])
    (mine,) = group_rows(demo_app, "101")
    reply(demo_client, alice, mine.id, "Anyone seen the keys?")

    with demo_app.app_context():
        (original,) = messages_of("101", subject="Anyone seen the keys?")
        (copy,) = messages_of("102", subject="Anyone seen the keys?")
        # The receiver's copy was made 3.1 s after the sender's, as seen on a busy server.
        copy.created_at = original.created_at + timedelta(seconds=3.1)
        db.session.commit()
        bob = extension("102")
        mark_conversation_read(bob, copy.conversation)

        receipts = db.session.scalars(select(ReadReceipt)).all()
        assert [(r.message_id, r.reader_extension_id) for r in receipts] == [(original.id, bob.id)]
        assert db.session.get(Message, original.id).direction == Direction.OUTBOUND


def test_an_outside_members_answer_lands_in_the_group_not_the_direct_thread(
    demo_app, demo_client, alice
):
    from tests.realtime.conftest import deliver

    create(demo_client, alice, "Install crew", ["102", "103", JANE])
    (mine,) = group_rows(demo_app, "101")
    reply(demo_client, alice, mine.id, "Install is Monday 9am")

    with demo_app.app_context():
        answer = deliver(JANE, "+16505550101", "Monday works for me")
        assert answer.conversation_id == mine.id
        assert answer.direction == Direction.INBOUND
        # A text after a one-to-one message from the same number is one-to-one again.
    direct = post_form(
        demo_client,
        "/widget/compose/send",
        alice,
        {
            "idempotency_key": form_key(demo_client, alice, "/widget/compose/"),
            "to": [JANE],
            "text": "Separately: your invoice is ready",
        },
    )
    assert direct.status_code == 200, direct.data
    with demo_app.app_context():
        later = deliver(JANE, "+16505550101", "Thanks for the invoice")
        assert later.conversation_id != mine.id
        assert later.conversation.kind.value == "direct"
