"""A mixed group's outside member answers: every member sees it, once, in the group.

Through HTTP: the group is created and texted with the widget's forms, the answer comes
in as ``POST /sandbox/inbound``, the outside members' phones are the phone simulator.
"""

from __future__ import annotations

from bs4 import BeautifulSoup
from sqlalchemy import select

from tests.compose.conftest import extension, messages_of
from tests.compose.test_pager_groups import create, group_rows, reply
from tests.helpers import html
from widget.extensions import db
from widget.models import Direction, Message, MessageType, ReadStatus
from widget.models.types import utcnow
from widget.platforms import get_platform
from widget.platforms.sandbox.delivery import build_record

JANE = "+14155550123"
SAM = "+12125550187"
ALICE_SMS = "+16505550101"


def mixed_group(demo_app, demo_client, alice):
    """Alice's group with Bob, Carol, Jane and Sam, texted once; return Alice's thread."""
    response = create(demo_client, alice, "Install crew", ["102", "103", JANE, SAM])
    assert response.status_code == 200, response.data
    (mine,) = group_rows(demo_app, "101")
    sent = reply(demo_client, alice, mine.id, "Install is Monday 9am")
    assert sent.status_code == 200, sent.data
    return mine


def inbound(client, sender: str, text: str):
    response = client.post(
        "/sandbox/inbound", json={"from": sender, "to": ALICE_SMS, "text": text, "type": "SMS"}
    )
    assert response.status_code == 201, response.data
    return response.get_json()


def copies(number: str, text: str) -> list[Message]:
    return messages_of(number, subject=text)


def phone_bubbles(client, outside: str, ext: str) -> list:
    response = client.get("/sandbox/phone/thread", query_string={"from": outside, "ext": ext})
    assert response.status_code == 200, response.data
    return html(response).select("#phone-thread li.bubble")


def test_every_internal_member_gets_the_answer_once_in_their_group_thread(
    demo_app, demo_client, alice
):
    mine = mixed_group(demo_app, demo_client, alice)
    answer = inbound(demo_client, JANE, "Monday works for me")
    assert answer["conversation_id"] == mine.id

    with demo_app.app_context():
        for number in ("102", "103"):
            (group,) = group_rows(demo_app, number)
            (copy,) = copies(number, "Monday works for me")
            assert copy.conversation_id == group.id, number
            assert copy.direction == Direction.INBOUND
            assert copy.read_status == ReadStatus.UNREAD
            assert copy.from_address == JANE
            assert db.session.get(type(group), group.id).unread_count >= 1
        # Alice has hers (the original), and nobody outside the group got anything.
        assert len(copies("101", "Monday works for me")) == 1
        assert copies("104", "Monday works for me") == []


def test_a_redelivered_answer_adds_no_copy(demo_app, demo_client, alice):
    mixed_group(demo_app, demo_client, alice)
    with demo_app.app_context():
        alice_ext = extension("101")
        record, content = build_record(
            alice_ext,
            MessageType.SMS,
            "Inbound",
            {"phoneNumber": JANE},
            [{"phoneNumber": ALICE_SMS, "name": alice_ext.name}],
            "Count me in",
            utcnow(),
            message_id="990000000000001",
        )
        (group,) = group_rows(demo_app, "101")
        record["conversationId"] = group.platform_conversation_id
        sink = get_platform().sink
        for _ in range(3):  # the webhook retried twice
            sink.record_changed(alice_ext, record, content)
        for number in ("101", "102", "103"):
            assert len(copies(number, "Count me in")) == 1, number


def test_the_other_members_hear_it_live(demo_app, demo_client, alice):
    from tests.realtime.conftest import listen

    mixed_group(demo_app, demo_client, alice)
    with demo_app.app_context():
        bob, carol = extension("102"), extension("103")
        bob_inbox, carol_inbox = listen(demo_app, bob), listen(demo_app, carol)
    inbound(demo_client, JANE, "On my way")
    with demo_app.app_context():
        for person, inbox in ((bob, bob_inbox), (carol, carol_inbox)):
            (copy,) = copies(person.extension_number, "On my way")
            (frame,) = inbox.drain()
            bubble = BeautifulSoup(frame.html, "html.parser").find("li", id=f"message-{copy.id}")
            assert bubble is not None, person.name
            assert "On my way" in bubble.get_text()


def test_the_other_outside_member_sees_it_on_their_phone_once(demo_app, demo_client, alice):
    mixed_group(demo_app, demo_client, alice)
    inbound(demo_client, JANE, "Gate code is 4411 & <b>bring ID</b>")

    sam_with_alice = phone_bubbles(demo_client, SAM, "101")
    relayed = [b for b in sam_with_alice if "Gate code" in b.get_text()]
    assert len(relayed) == 1
    assert "inbound" in relayed[0]["class"]  # received on Sam's phone, not sent by it
    assert JANE in relayed[0].select_one(".relayed").get_text()
    assert relayed[0].select_one("b") is None  # escaped
    # Sam's phone also shows Alice's group text; under Bob's number, no second copy.
    assert any("Install is Monday 9am" in b.get_text() for b in sam_with_alice)
    assert not [b for b in phone_bubbles(demo_client, SAM, "102") if "Gate code" in b.get_text()]
    # Jane sees her own answer as sent, once.
    jane_sent = [b for b in phone_bubbles(demo_client, JANE, "101") if "Gate code" in b.get_text()]
    assert len(jane_sent) == 1 and "outbound" in jane_sent[0]["class"]
    # Bob holds a copy of it, but Jane did not text Bob's number: not under his.
    assert not [b for b in phone_bubbles(demo_client, JANE, "102") if "Gate code" in b.get_text()]


def test_a_plain_text_from_someone_in_no_group_stays_direct(demo_app, demo_client, alice):
    mixed_group(demo_app, demo_client, alice)
    answer = inbound(demo_client, "+13125550144", "Unrelated question")
    with demo_app.app_context():
        message = db.session.get(Message, answer["id"])
        assert message.conversation.kind.value == "direct"
        assert copies("102", "Unrelated question") == []
        assert not db.session.scalars(
            select(Message).where(
                Message.platform_message_id.like(f"{answer['platform_message_id']}~%")
            )
        ).all()
