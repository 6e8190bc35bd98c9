"""Read receipts and typing indicators: between colleagues only, never outside numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.helpers import html, sign_in
from tests.realtime.conftest import deliver, ext, listen, parse
from widget.errors import DomainError
from widget.extensions import db
from widget.inbox.events import handle_instant_event
from widget.inbox.service import mark_conversation_read
from widget.models import Direction, Message, MessageType, ReadReceipt, RealtimeEvent
from widget.models.types import utcnow
from widget.platforms.sandbox.delivery import build_record, instant_event
from widget.realtime.colleagues import colleagues_by_address, counterpart, typing_targets
from widget.realtime.service import send_typing

JANE = "+14155550123"


def page_bob_from_alice(text: str) -> tuple[Message, Message]:
    """Alice pages Bob; return (Bob's inbound copy, Alice's outbound copy)."""
    received = deliver("101", "102", text, "Pager")
    alice = ext("101")
    sent = db.session.scalars(
        select(Message).where(
            Message.extension_id == alice.id,
            Message.direction == Direction.OUTBOUND,
            Message.subject == text,
        )
    ).one()
    return received, sent


def test_each_side_of_a_page_finds_the_others_copy_of_the_conversation(demo):
    received, sent = page_bob_from_alice("lunch?")
    alice, bob = ext("101"), ext("102")

    assert colleagues_by_address(bob, received.conversation.addresses) == {"101": alice}
    assert counterpart(bob, received.conversation, alice, "101").id == sent.conversation_id
    assert counterpart(alice, sent.conversation, bob, "102").id == received.conversation_id


def test_reading_a_page_tells_the_sender_who_read_it(demo):
    received, sent = page_bob_from_alice("are you in today?")
    alice, bob = ext("101"), ext("102")
    alice_inbox, bob_inbox = listen(demo, alice), listen(demo, bob)

    mark_conversation_read(bob, received.conversation)

    receipt = db.session.scalars(select(ReadReceipt)).one()
    assert (receipt.message_id, receipt.reader_extension_id) == (sent.id, bob.id)
    (pushed,) = alice_inbox.drain()
    assert pushed.seq is not None  # logged: a reconnecting Alice still sees it
    bubble = parse(pushed.html).find("li", id=f"message-{sent.id}")
    assert bubble["hx-swap-oob"] == "true"
    assert bubble.find(class_="receipt").get_text() == "Read by Bob Martinez ✓"
    # Bob's own tabs learn that he read it; no receipt in his own mailbox.
    (own,) = bob_inbox.drain()
    assert "Read by" not in own.html


def test_the_receipt_stays_in_the_senders_thread(demo_app):
    with demo_app.test_request_context():
        received, sent = page_bob_from_alice("see you at 3")
        mark_conversation_read(ext("102"), received.conversation)
        conversation_id = sent.conversation_id
        db.session.remove()
    client = demo_app.test_client()
    headers = sign_in(client, "101")

    page = html(client.get(f"/widget/conversations/{conversation_id}", headers=headers))

    bubble = page.find("li", id=f"message-{sent.id}")
    assert bubble.find(class_="receipt").get_text() == "Read by Bob Martinez ✓"


def test_reading_it_twice_records_one_receipt(demo):
    received, _ = page_bob_from_alice("ping")
    bob = ext("102")
    mark_conversation_read(bob, received.conversation)
    received.read_status = received.read_status.UNREAD
    db.session.commit()

    mark_conversation_read(bob, received.conversation)

    assert db.session.scalar(select(func.count()).select_from(ReadReceipt)) == 1


def test_no_receipt_for_outside_sms_senders(demo):
    alice = ext("101")
    message = deliver(JANE, "+16505550101", "hello from outside")
    before = db.session.scalar(select(func.count()).select_from(RealtimeEvent))

    mark_conversation_read(alice, message.conversation)

    assert db.session.scalar(select(func.count()).select_from(ReadReceipt)) == 0
    # Only Alice's own "read" event: nothing for anyone else.
    assert db.session.scalar(select(func.count()).select_from(RealtimeEvent)) == before + 1


def group_page(sender_number: str, to_numbers: list[str], text: str) -> dict[str, Message]:
    """A pager message to several colleagues, one copy per mailbox, as the platform sends."""
    people = {n: ext(n) for n in [sender_number, *to_numbers]}
    sender = {"extensionNumber": sender_number, "name": people[sender_number].name}
    to = [{"extensionNumber": n, "name": people[n].name} for n in to_numbers]
    at = utcnow() - timedelta(seconds=5)
    copies = {}
    for number, owner in people.items():
        direction = "Outbound" if number == sender_number else "Inbound"
        record, content = build_record(owner, MessageType.PAGER, direction, sender, to, text, at)
        copies[number] = handle_instant_event("sandbox", instant_event(owner, record)).message
    return copies


def test_group_receipts_name_every_colleague_who_read(demo):
    copies = group_page("101", ["102", "103"], "stand-up moved to 10")
    alice_inbox = listen(demo, ext("101"))

    mark_conversation_read(ext("102"), copies["102"].conversation)
    mark_conversation_read(ext("103"), copies["103"].conversation)

    after_bob, after_carol = alice_inbox.drain()
    receipt = parse(after_bob.html).find("li", id=f"message-{copies['101'].id}")
    assert receipt.find(class_="receipt").get_text() == "Read by Bob Martinez ✓"
    receipt = parse(after_carol.html).find("li", id=f"message-{copies['101'].id}")
    assert receipt.find(class_="receipt").get_text() == "Read by Bob Martinez, Carol Nguyen ✓"


def test_typing_shows_in_the_colleagues_copy_and_is_never_logged(demo):
    received, sent = page_bob_from_alice("quick question")
    alice, bob = ext("101"), ext("102")
    alice_inbox = listen(demo, alice)
    before = db.session.scalar(select(func.count()).select_from(RealtimeEvent))

    assert send_typing(bob, received.conversation) == 1

    (pushed,) = alice_inbox.drain()
    assert pushed.seq is None
    indicator = parse(pushed.html).find("p", id=f"typing-{sent.conversation_id}")
    assert indicator["hx-swap-oob"] == "true"
    assert "active" in indicator["class"]
    assert indicator.get_text(" ", strip=True) == "Bob Martinez is typing…"
    assert db.session.scalar(select(func.count()).select_from(RealtimeEvent)) == before


def test_a_typist_name_is_escaped(demo):
    received, sent = page_bob_from_alice("hi")
    bob = ext("102")
    bob.name = "<img src=x onerror=alert(1)>"
    db.session.commit()
    alice_inbox = listen(demo, ext("101"))

    send_typing(bob, received.conversation)

    frame = parse(alice_inbox.drain()[0].html)
    assert frame.find("img") is None
    assert "<img src=x onerror=alert(1)> is typing" in frame.get_text()


def test_group_typing_reaches_every_other_colleague(demo):
    copies = group_page("101", ["102", "103"], "who has the keys?")

    targets = typing_targets(ext("103"), copies["103"].conversation)

    assert sorted(c.id for c in targets) == sorted(
        [copies["101"].conversation_id, copies["102"].conversation_id]
    )


def test_typing_is_refused_where_only_outside_numbers_are(demo):
    message = deliver(JANE, "+16505550101", "an outside conversation")
    alice_inbox = listen(demo, ext("101"))

    with pytest.raises(DomainError) as refused:
        send_typing(ext("101"), message.conversation)

    assert refused.value.status == 409
    assert alice_inbox.drain() == []


def test_a_new_message_from_the_typist_clears_their_indicator(demo):
    received, sent = page_bob_from_alice("first")
    alice_inbox = listen(demo, ext("101"))

    deliver("102", "101", "reply from Bob", "Pager")

    frame = parse(alice_inbox.drain()[0].html)
    indicator = frame.find("p", id=f"typing-{sent.conversation_id}")
    assert indicator["hx-swap-oob"] == "true"
    assert "active" not in indicator["class"]


def test_typing_faster_than_once_a_second_is_dropped(demo):
    received, _ = page_bob_from_alice("spam?")
    bob = ext("102")
    alice_inbox = listen(demo, ext("101"))

    told = [send_typing(bob, received.conversation) for _ in range(5)]

    assert told == [1, 0, 0, 0, 0]
    assert len(alice_inbox.drain()) == 1
