"""Compose over HTTP: one message per recipient, statuses, pictures, the recipient picker."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import time_machine

from tests.compose.conftest import (
    compose,
    conversation_with,
    counts,
    messages_of,
    noisy_png,
    run_due_jobs,
    small_png,
)
from tests.helpers import html, sign_in
from widget.extensions import db
from widget.models import Message

JANE, SAM = "+14155550123", "+12125550187"
NEW_NUMBER = "+12025550123"  # nobody in the demo


def test_compose_panel_has_the_form_the_widget_needs(demo_client, alice):
    page = html(demo_client.get("/widget/", headers=alice))
    compose_button = page.find("button", string="Compose")
    assert compose_button["hx-get"] == "/widget/compose/"
    panel = html(demo_client.get("/widget/compose/", headers=alice))
    form = panel.find("form", id="compose-form")
    assert form["hx-post"] == "/widget/compose/send"
    assert form["hx-encoding"] == "multipart/form-data"
    textarea = form.find("textarea", id="compose-text")
    assert textarea["name"] == "text" and textarea.has_attr("data-enter-sends")
    assert len(form.find("input", {"name": "idempotency_key"})["value"]) >= 16
    assert form.find("input", {"name": "attachment", "type": "file"})["accept"].startswith("image/")
    assert form.find("button", string="Send")["type"] == "submit"
    assert form.find("output", id="compose-counter").get_text() == "0/1000 · 0 SMS"
    assert form.find("select", {"name": "from"}) is None  # Alice has one number: no picker


def open_template(name: str) -> str:
    from pathlib import Path

    return (Path("widget/templates") / name).read_text()


def test_two_recipients_make_exactly_two_conversations_and_two_messages(
    demo_app, demo_client, alice
):
    before_messages, before_conversations = counts(demo_app)
    with demo_app.app_context():
        new_conversations = 1 if conversation_with("101", JANE) else 2
    response = compose(demo_client, alice, [JANE, "(202) 555-0123"], text="Your order shipped")
    assert response.status_code == 200, response.data
    assert counts(demo_app) == (before_messages + 2, before_conversations + new_conversations)
    with demo_app.app_context():
        jane = conversation_with("101", JANE)
        new = conversation_with("101", NEW_NUMBER)
        assert jane is not None and new is not None and jane.id != new.id
        sent = messages_of("101", subject="Your order shipped")
        assert len(sent) == 2
        assert {m.conversation_id for m in sent} == {jane.id, new.id}
        assert all(m.direction.value == "Outbound" and m.type.value == "SMS" for m in sent)
        for message in sent:
            assert [p["address"] for p in message.to_parties] in ([JANE], [NEW_NUMBER])
    # The user lands on the list: rows for both, the panel closed (empty main content).
    page = html(response)
    rows = page.find("section", id="list")
    assert rows["hx-swap-oob"] == "innerHTML"
    assert rows.find("li", {"data-conversation-id": str(jane.id)}) is not None
    assert rows.find("li", {"data-conversation-id": str(new.id)}) is not None
    flash = page.find(id="flash").get_text(strip=True)
    assert flash.startswith("Sent to Jane Roe, (202) 555-0123"), flash
    trigger = json.loads(response.headers["HX-Trigger"])
    assert sorted(trigger["sidetalk:sent"]["conversation_ids"]) == sorted([jane.id, new.id])


def test_first_conversation_count_is_exact(demo_app, demo_client, alice):
    # Neither number has a conversation with Alice yet: two new conversations, two messages.
    before_messages, before_conversations = counts(demo_app)
    response = compose(demo_client, alice, ["+12025550111", "+12025550112"], text="Hi both")
    assert response.status_code == 200
    assert counts(demo_app) == (before_messages + 2, before_conversations + 2)


def test_statuses_move_queued_sent_delivered_with_scheduled_checks(demo_app, demo_client, alice):
    demo_app.config["DELIVERY_POLL_SECONDS"] = 5
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        response = compose(demo_client, alice, [NEW_NUMBER], text="Tracking me")
        assert response.status_code == 200
        with demo_app.app_context():
            (message,) = messages_of("101", subject="Tracking me")
            assert message.message_status.value == "Queued"
            assert run_due_jobs() == 0  # nothing is due yet: no sleeping, a schedule
    with time_machine.travel(start + timedelta(seconds=6), tick=False), demo_app.app_context():
        assert run_due_jobs() == 1
        assert db.session.get(Message, message.id).message_status.value == "Sent"
    with time_machine.travel(start + timedelta(seconds=12), tick=False), demo_app.app_context():
        assert run_due_jobs() == 1
        delivered = db.session.get(Message, message.id)
        assert delivered.message_status.value == "Delivered"
        assert delivered.to_parties[0]["status"] == "Delivered"
        assert run_due_jobs() == 0  # final: no more checks


def test_immediate_jobs_deliver_within_the_request_and_the_thread_shows_it(
    demo_app, demo_client, alice
):
    compose(demo_client, alice, [NEW_NUMBER], text="Fast lane")
    with demo_app.app_context():
        (message,) = messages_of("101", subject="Fast lane")
        assert message.message_status.value == "Delivered"
        conversation_id = message.conversation_id
    thread = html(demo_client.get(f"/widget/conversations/{conversation_id}", headers=alice))
    bubble = thread.find("li", {"data-message-id": str(message.id)})
    assert bubble.find(class_="status").get_text() == "Delivered"
    assert bubble.find("button", string="Retry") is None


def test_internal_number_receives_an_inbound_copy(demo_app, demo_client, alice):
    response = compose(demo_client, alice, ["(650) 555-0102"], text="Bob, your number")
    assert response.status_code == 200
    with demo_app.app_context():
        (copy,) = messages_of("102", subject="Bob, your number")
        assert copy.direction.value == "Inbound" and copy.type.value == "SMS"
        assert copy.from_address == "+16505550101"
        assert copy.read_status.value == "Unread"


def test_pager_to_an_extension_appears_in_its_mailbox(demo_app, demo_client, alice):
    response = compose(demo_client, alice, ["102"], text="Standup in 5")
    assert response.status_code == 200, response.data
    with demo_app.app_context():
        (sent,) = messages_of("101", subject="Standup in 5")
        assert sent.type.value == "Pager" and sent.message_status.value == "Sent"
        (received,) = messages_of("102", subject="Standup in 5")
        assert received.direction.value == "Inbound" and received.from_address == "101"
        assert conversation_with("102", "101", "pager").id == received.conversation_id


def test_mms_picture_is_resized_and_stored_as_an_mms_attachment(demo_app, demo_client, alice):
    big = noisy_png(2400, 1800)
    response = compose(
        demo_client,
        alice,
        [NEW_NUMBER],
        text="See attached",
        files={"attachment": (big, "photo.png")},
    )
    assert response.status_code == 200, response.data
    with demo_app.app_context():
        (message,) = messages_of("101", subject="See attached")
        (part,) = message.attachments
        assert part.kind == "MmsAttachment"
        assert part.content_type == "image/jpeg"
        assert part.size <= demo_app.config["MMS_MAX_BYTES"]
        assert message.is_mms
    thread = html(
        demo_client.get(f"/widget/conversations/{message.conversation_id}", headers=alice)
    )
    image = thread.find("li", {"data-message-id": str(message.id)}).find("img")
    with demo_client.get(image["src"]) as picture:
        assert picture.status_code == 200 and picture.data[:3] == b"\xff\xd8\xff"
        assert len(picture.data) <= demo_app.config["MMS_MAX_BYTES"]


def test_sender_picker_for_two_numbers_and_sending_as_the_second(demo_app, demo_client):
    carol = sign_in(demo_client, "103")
    panel = html(demo_client.get("/widget/compose/", headers=carol))
    options = [o["value"] for o in panel.find("select", {"name": "from"}).find_all("option")]
    assert options == ["+16505550103", "+16505550113"]
    response = compose(
        demo_client, carol, [NEW_NUMBER], text="From my second line", **{"from": "+16505550113"}
    )
    assert response.status_code == 200
    with demo_app.app_context():
        (message,) = messages_of("103", subject="From my second line")
        assert message.from_address == "+16505550113"


def test_picture_without_text_is_fine(demo_app, demo_client, alice):
    response = compose(
        demo_client,
        alice,
        [NEW_NUMBER],
        text="",
        files={"attachment": (small_png(), "dot.png")},
    )
    assert response.status_code == 200, response.data


def test_picker_finds_all_sources_and_raw_numbers(demo_client, alice):
    def options(query):
        page = html(
            demo_client.get("/widget/compose/recipients", query_string={"q": query}, headers=alice)
        )
        return [
            (b.find(class_="option-name").text, b.find(class_="option-source").text)
            for b in page.find_all("button", {"data-picker-option": True})
        ]

    assert ("Bob Martinez", "Company") in options("bob")  # directory extension
    assert ("Jane Roe", "Directory") in options("jane")  # directory contact
    assert ("Marco Rossi", "Personal") in options("marco")  # Alice's personal contact
    assert options("hannah") == []  # Bob's personal contact is not Alice's
    assert options("(202) 555-0100")[0] == ("(202) 555-0100", "Number")
    bob = html(demo_client.get("/widget/compose/recipients?q=bob", headers=alice))
    chip_urls = [b["hx-get"] for b in bob.find_all("button", {"data-picker-option": True})]
    assert any("to=102" in u for u in chip_urls) and any(
        "to=%2B16505550102" in u for u in chip_urls
    )


def test_chip_normalises_raw_numbers_and_escapes_labels(demo_client, alice):
    chip = html(demo_client.get("/widget/compose/chip?to=(415)%20555-0123", headers=alice))
    assert chip.find("input", {"name": "to"})["value"] == JANE
    assert chip.find(class_="chip-label").text == "Jane Roe"  # the directory name wins
    hostile = demo_client.get(
        "/widget/compose/chip",
        query_string={"to": NEW_NUMBER, "label": "<script>x</script>"},
        headers=alice,
    )
    assert "<script>" not in hostile.get_data(as_text=True)
    assert html(hostile).find(class_="chip-label").text == "<script>x</script>"
    bad = html(demo_client.get("/widget/compose/chip?to=zzz", headers=alice))
    assert "invalid" in bad.find("li")["class"] and bad.find(class_="field-error")


def test_phone_simulator_sees_the_extensions_reply(demo_client, alice):
    compose(demo_client, alice, [NEW_NUMBER], text="Hello from Alice")
    phone = html(
        demo_client.get("/sandbox/phone/thread", query_string={"from": NEW_NUMBER, "ext": "101"})
    )
    texts = [p.get_text() for p in phone.find_all("p", class_="text")]
    assert texts == ["Hello from Alice"]


def test_compose_can_be_prefilled_and_switch_modes(demo_client, alice):
    panel = html(
        demo_client.get("/widget/compose/?to=%2B14155550123&text=Hi%20Jane", headers=alice)
    )
    assert panel.find("li", class_="chip")["data-recipient"] == JANE
    assert panel.find("textarea", id="compose-text").get_text() == "Hi Jane"
    modes = [b.get_text() for b in panel.find("nav", class_="compose-modes").find_all("button")]
    assert modes == ["Message", "Fax", "New group"]
    group = html(demo_client.get("/widget/compose/?mode=group", headers=alice))
    assert group.find("form", id="group-form").find("input", {"name": "name"}) is not None
    bad = demo_client.get("/widget/compose/?mode=blast", headers=alice)
    assert bad.status_code == 400


def test_animated_gif_that_must_shrink_is_sent_flattened_and_the_user_is_told(
    demo_app, demo_client, alice
):
    import random

    from PIL import Image

    rng = random.Random(5)
    frames = []
    for _ in range(4):
        frame = Image.frombytes("P", (700, 500), rng.randbytes(700 * 500))
        frame.putpalette(list(rng.randbytes(768)))
        frames.append(frame)
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=90)
    response = compose(
        demo_client,
        alice,
        [NEW_NUMBER],
        text="Animated",
        files={"attachment": (out.getvalue(), "a.gif")},
    )
    assert response.status_code == 200
    assert "sent as a still picture" in html(response).find(id="flash").get_text()
