"""What is pushed when messages change: frames rendered from the page's blocks.

Each test makes a real change through the same services the views and the sandbox
use, then reads what the broker received and parses it like htmx would.
"""

from __future__ import annotations

from sqlalchemy import func, select

from tests.realtime.conftest import deliver, ext, listen, parse
from widget.extensions import db
from widget.inbox.ingest import messages_changed, refresh_conversation
from widget.inbox.service import mark_conversation_read
from widget.models import (
    Availability,
    Conversation,
    Direction,
    Message,
    MessageStatus,
    RealtimeEvent,
)
from widget.realtime.frames import message_changes

JANE = "+14155550123"
ALICE_SMS = "+16505550101"


def only(subscription):
    items = subscription.drain()
    assert len(items) == 1, items
    return items[0]


def test_a_new_inbound_sms_moves_its_row_up_updates_counts_and_appends_the_bubble(demo):
    alice = ext("101")
    inbox = listen(demo, alice)
    text = '<script>alert("x")</script> & <b>hi</b>'

    message = deliver(JANE, ALICE_SMS, text)

    delivery = only(inbox)
    frame = parse(delivery.html)
    conversation = message.conversation
    mover = frame.find("ul", id="rows", attrs={"hx-swap-oob": "afterbegin"})
    row = mover.find("li", id=f"conversation-{conversation.id}")
    assert row["data-conversation-id"] == str(conversation.id)
    assert "unread" in row["class"]
    assert row.find(class_="who").get_text(strip=True) == "Jane Roe"
    assert text in row.find(class_="preview").get_text()
    badges = {b["id"]: b for b in frame.find_all("span", class_="badge")}
    assert badges["count-text"]["hx-swap-oob"] == "true"
    assert int(badges["count-text"]["data-count"]) == int(badges["count-all"]["data-count"]) - (
        int(badges["count-voicemail"]["data-count"])
        + int(badges["count-fax"]["data-count"])
        + int(badges["count-pager"]["data-count"])
    )
    appender = frame.find("ol", id=f"bubbles-{conversation.id}", attrs={"hx-swap-oob": "beforeend"})
    bubble = appender.find("li", id=f"message-{message.id}")
    assert bubble["data-message-id"] == str(message.id)
    assert bubble.find(class_="text").get_text() == text
    # Escaped everywhere: the text is text, never markup.
    assert frame.find("script") is None and frame.find("b") is None
    assert delivery.notice == {
        "id": str(message.id),
        "title": "Jane Roe",
        "body": text,
        "conversation_id": str(conversation.id),
    }


def test_the_frame_is_logged_with_the_next_number_of_the_channel(demo):
    alice = ext("101")
    inbox = listen(demo, alice)

    deliver(JANE, ALICE_SMS, "first")
    deliver(JANE, ALICE_SMS, "second")

    first, second = inbox.drain()
    assert (first.channel, second.channel) == (f"ext:{alice.id}",) * 2
    assert second.seq == first.seq + 1
    logged = db.session.scalars(
        select(RealtimeEvent).where(RealtimeEvent.channel == f"ext:{alice.id}")
    ).all()
    assert [(e.seq, e.html) for e in logged[-2:]] == [
        (first.seq, first.html),
        (second.seq, second.html),
    ]


def test_another_extension_hears_nothing_of_it(demo):
    bob_inbox = listen(demo, ext("102"))

    deliver(JANE, ALICE_SMS, "for Alice only")

    assert bob_inbox.drain() == []


def test_reading_updates_the_row_in_place_and_the_counts_without_bubbles(demo):
    alice = ext("101")
    message = deliver(JANE, ALICE_SMS, "read me")
    inbox = listen(demo, alice)

    mark_conversation_read(alice, message.conversation)

    delivery = only(inbox)
    frame = parse(delivery.html)
    row = frame.find("li", id=f"conversation-{message.conversation_id}")
    assert row["hx-swap-oob"] == "true"
    assert "unread" not in row["class"]
    assert frame.find("span", id="count-all")["hx-swap-oob"] == "true"
    assert frame.find(class_="bubble") is None
    assert delivery.notice is None


def test_an_outbound_status_change_replaces_the_bubble(demo):
    alice = ext("101")
    sent = db.session.scalars(
        select(Message)
        .where(Message.extension_id == alice.id, Message.direction == Direction.OUTBOUND)
        .limit(1)
    ).one()
    sent.message_status = MessageStatus.DELIVERY_FAILED
    db.session.commit()
    inbox = listen(demo, alice)

    messages_changed.send(alice, message_ids=[sent.id], reason="updated")

    frame = parse(only(inbox).html)
    bubble = frame.find("li", id=f"message-{sent.id}")
    assert bubble["hx-swap-oob"] == "true"
    assert bubble.find(class_="status").get_text() == "Not delivered"
    row = frame.find("li", id=f"conversation-{sent.conversation_id}")
    assert row["hx-swap-oob"] == "true"  # updated in place, not moved


def test_deleting_removes_the_bubble_and_an_emptied_conversation_leaves_the_list(demo):
    alice = ext("101")
    message = deliver(JANE, "+16505550101", "only message of a new thread", "SMS")
    conversation = db.session.get(Conversation, message.conversation_id)
    others = db.session.scalars(
        select(Message).where(Message.conversation_id == conversation.id)
    ).all()
    inbox = listen(demo, alice)
    for item in others:
        item.availability = Availability.DELETED
    refresh_conversation(conversation)
    db.session.commit()

    messages_changed.send(alice, message_ids=[m.id for m in others], reason="deleted")

    frame = parse(only(inbox).html)
    assert frame.find("li", id=f"conversation-{conversation.id}")["hx-swap-oob"] == "delete"
    for item in others:
        assert frame.find("li", id=f"message-{item.id}")["hx-swap-oob"] == "delete"


def test_a_restored_message_brings_its_conversation_back_to_the_top(demo):
    alice = ext("101")
    message = deliver(JANE, ALICE_SMS, "restore me")

    frame = message_changes(alice, [message], "restored")

    soup = parse(frame.html)
    assert soup.find("ul", id="rows", attrs={"hx-swap-oob": "afterbegin"}) is not None
    assert frame.notice is None  # only brand-new messages notify


def test_nothing_is_pushed_for_ids_of_another_mailbox(demo):
    alice, bob = ext("101"), ext("102")
    bobs = db.session.scalars(select(Message.id).where(Message.extension_id == bob.id)).first()
    before = db.session.scalar(select(func.count()).select_from(RealtimeEvent))
    inbox = listen(demo, alice)

    messages_changed.send(alice, message_ids=[bobs], reason="updated")

    assert inbox.drain() == []
    assert db.session.scalar(select(func.count()).select_from(RealtimeEvent)) == before
