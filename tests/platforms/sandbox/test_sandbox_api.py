"""The sandbox's scripting API and phone simulator, seen from the extension's widget too."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.helpers import csrf_from, html, sign_in
from tests.mailbox import demo_extension
from widget import media
from widget.extensions import db
from widget.inbox.events import handle_instant_event
from widget.models import Channel, Conversation, Direction, Message, MessageType
from widget.models.types import utcnow
from widget.platforms.sandbox.delivery import build_record, instant_event

ALICE = "+16505550101"
CAROL_SECOND = "+16505550113"
JANE = "+14155550123"
STRANGER = "+13105550142"  # in no directory


@pytest.fixture
def api(demo_client, demo_db):
    return demo_client


def _rows(client, headers, **params) -> dict[int, dict]:
    page = html(client.get("/widget/list", query_string=params, headers=headers))
    return {
        int(li["data-conversation-id"]): {
            "who": li.select_one(".who").get_text(strip=True),
            "preview": li.select_one(".preview").get_text(strip=True),
            "unread": "unread" in li["class"],
        }
        for li in page.select("li[data-conversation-id]")
    }


def test_inbound_sms_returns_its_id_and_shows_in_the_list_with_the_contact_name(api):
    response = api.post(
        "/sandbox/inbound", json={"from": JANE, "to": "(650) 555-0101", "text": "Gate code?"}
    )

    assert response.status_code == 201
    body = response.json
    message = db.session.get(Message, body["id"])
    assert body["conversation_id"] == message.conversation_id
    assert body["extension_number"] == "101"
    assert body["type"] == "SMS"
    assert body["platform_message_id"] == message.platform_message_id
    assert (message.direction, message.from_address, message.subject) == (
        Direction.INBOUND,
        JANE,
        "Gate code?",
    )
    rows = _rows(api, sign_in(api, "101"))
    newest = next(iter(rows))
    assert newest == body["conversation_id"]
    assert rows[newest] == {"who": "Jane Roe", "preview": "Gate code?", "unread": True}


def test_inbound_to_an_extensions_second_number_reaches_that_extension(api):
    response = api.post(
        "/sandbox/inbound", json={"from": STRANGER, "to": CAROL_SECOND, "text": "Hi Carol"}
    )

    assert response.status_code == 201
    assert response.json["extension_number"] == "103"
    rows = _rows(api, sign_in(api, "103"))
    assert rows[response.json["conversation_id"]]["who"] == "(310) 555-0142"


def test_pager_between_extensions_lands_in_both_mailboxes(api):
    response = api.post(
        "/sandbox/inbound",
        json={"from": "102", "to": "101", "text": "Standup moved to 10", "type": "Pager"},
    )

    assert response.status_code == 201
    received = db.session.get(Message, response.json["id"])
    assert received.conversation.channel == Channel.PAGER
    assert received.conversation.addresses == ["102"]
    bob = demo_extension("102")
    sent = db.session.scalars(
        select(Message).where(
            Message.extension_id == bob.id, Message.subject == "Standup moved to 10"
        )
    ).one()
    assert sent.direction == Direction.OUTBOUND
    assert sent.conversation.addresses == ["101"]
    rows = _rows(api, sign_in(api, "101"), tab="pager")
    assert rows[received.conversation_id]["who"] == "Bob Martinez"


def test_voicemail_creates_real_audio_with_its_transcription(api):
    text = "Hi, it's Jane. Please call me back about the delivery."

    response = api.post(
        "/sandbox/inbound", json={"from": JANE, "to": ALICE, "text": text, "type": "VoiceMail"}
    )

    assert response.status_code == 201
    message = db.session.get(Message, response.json["id"])
    assert message.type == MessageType.VOICEMAIL
    assert message.transcription == text
    (recording,) = [a for a in message.attachments if a.kind == "AudioRecording"]
    data = media.read_bytes(recording.storage_path)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert recording.size == len(data)
    assert recording.duration_seconds and recording.duration_seconds >= 4
    assert message.conversation.preview.startswith("Voicemail (0:")


def test_fax_creates_a_real_pdf(api):
    response = api.post(
        "/sandbox/inbound",
        json={"from": JANE, "to": ALICE, "text": "Invoice 12\nTotal $40", "type": "Fax"},
    )

    assert response.status_code == 201
    message = db.session.get(Message, response.json["id"])
    (document,) = message.attachments
    assert document.content_type == "application/pdf"
    assert media.read_bytes(document.storage_path).startswith(b"%PDF-")
    assert document.page_count == 1
    assert message.conversation.channel == Channel.FAX
    assert message.conversation.preview == "Fax, 1 page"


def test_the_same_outside_number_keeps_one_conversation(api):
    first = api.post("/sandbox/inbound", json={"from": STRANGER, "to": ALICE, "text": "one"})
    second = api.post("/sandbox/inbound", json={"from": STRANGER, "to": ALICE, "text": "two"})

    assert first.json["conversation_id"] == second.json["conversation_id"]
    conversation = db.session.get(Conversation, first.json["conversation_id"])
    assert (conversation.message_count, conversation.unread_count) == (2, 2)


def test_extensions_lists_the_demo_people_and_numbers(api):
    response = api.get("/sandbox/extensions")

    assert response.status_code == 200
    by_number = {e["extension_number"]: e for e in response.json}
    assert sorted(by_number) == ["101", "102", "103", "104", "105"]
    assert by_number["101"]["name"] == "Alice Chen"
    assert by_number["101"]["phone_numbers"] == [ALICE]
    assert by_number["103"]["phone_numbers"] == ["+16505550103", CAROL_SECOND]
    assert all({"extension_number", "name", "phone_numbers"} <= set(e) for e in response.json)


# ------------------------------------------------------------------------ phone simulator


def test_phone_simulator_page_renders_with_labelled_fields(api):
    response = api.get("/sandbox/phone")

    assert response.status_code == 200
    page = html(response)
    labels = {label.get_text(strip=True) for label in page.select("label")}
    assert {"Your number", "To extension", "Send as", "Message"} <= labels
    assert page.select_one("button[type=submit]").get_text(strip=True) == "Send"
    options = [o["value"] for o in page.select("select#ext option")]
    # The five people, then the Support queue (a customer may text it; 800 is its mailbox).
    assert options == ["101", "102", "103", "104", "105", "800"]
    assert page.select_one("#phone-thread")  # Jane's existing thread with Alice is shown


def _simulator_send(client, **fields):
    page = client.get("/sandbox/phone")
    data = {"csrf_token": csrf_from(page), "from": JANE, "ext": "101", "type": "SMS"}
    data.update(fields)
    return client.post("/sandbox/phone/send", data=data, headers={"HX-Request": "true"})


def test_sending_from_the_simulator_shows_in_its_thread_and_the_widget(api):
    response = _simulator_send(api, **{"from": STRANGER, "text": "Is the store open <today>?"})

    assert response.status_code == 200
    thread = html(response).select_one("#phone-thread")
    bubbles = thread.select("li.bubble")
    assert [b.select_one(".text").get_text() for b in bubbles] == ["Is the store open <today>?"]
    assert "outbound" in bubbles[0]["class"]  # from the phone's point of view
    rows = _rows(api, sign_in(api, "101"))
    (row,) = [r for r in rows.values() if r["who"] == "(310) 555-0142"]
    assert row["preview"] == "Is the store open <today>?"


def test_simulator_errors_are_shown_in_place_and_write_nothing(api):
    before = db.session.scalar(select(func.count()).select_from(Message))

    empty = _simulator_send(api, text="   ")
    bad_number = _simulator_send(api, **{"from": "not a phone", "text": "hi"})
    no_extension = _simulator_send(api, ext="999", text="hi")

    for response, says in [
        (empty, "must not be empty"),
        (bad_number, "not a phone number"),
        (no_extension, "Choose an extension"),
    ]:
        assert response.status_code == 422
        assert says in html(response).select_one("#phone-thread .error-box").get_text()
    assert db.session.scalar(select(func.count()).select_from(Message)) == before


def test_a_reply_from_the_extension_shows_in_the_simulator(api):
    _simulator_send(api, **{"from": STRANGER, "text": "Hello?"})
    alice = demo_extension("101")
    record, content = build_record(
        alice,
        MessageType.SMS,
        "Outbound",
        {"phoneNumber": ALICE, "name": alice.name},
        [{"phoneNumber": STRANGER}],
        "Hi! How can we help?",
        utcnow(),
    )
    handle_instant_event("sandbox", instant_event(alice, record), content)

    response = api.get("/sandbox/phone/thread", query_string={"from": STRANGER, "ext": "101"})

    bubbles = html(response).select("#phone-thread li.bubble")
    assert [b.select_one(".text").get_text() for b in bubbles] == ["Hello?", "Hi! How can we help?"]
    assert "inbound" in bubbles[1]["class"]
    assert "from the extension" in bubbles[1].select_one(".meta").get_text()


def test_simulator_thread_for_a_bad_number_is_empty_not_an_error(api):
    response = api.get("/sandbox/phone/thread", query_string={"from": "???", "ext": "101"})

    assert response.status_code == 200
    assert html(response).select_one("li.empty") is not None


def _picture(fmt: str = "PNG") -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, fmt)
    return out.getvalue()


def test_the_simulator_sends_a_picture_and_shows_pictures(api):
    import io

    response = _simulator_send(
        api, text="", **{"from": STRANGER, "picture": (io.BytesIO(_picture()), "shelf.png")}
    )
    assert response.status_code == 200, response.data
    thread = html(response).select_one("#phone-thread")
    shown = thread.select("li.bubble img")
    assert len(shown) == 1 and shown[0]["src"].startswith("/widget/media/")
    loaded = api.get(shown[0]["src"])
    assert loaded.status_code == 200 and loaded.mimetype == "image/png"  # the picture loads
    loaded.close()
    with api.application.app_context():
        received = db.session.scalars(
            select(Message).where(Message.from_address == "+13105550142")
        ).all()
        (mms,) = received
        assert [a.content_type for a in mms.attachments] == ["image/png"]


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"picture": (b"%PDF-1.4 not a picture", "doc.png")}, "not a JPEG, PNG or GIF"),
        ({"picture": ("png", "x.png"), "type": "Fax"}, "Only a text message can carry a picture"),
    ],
)
def test_the_simulator_refuses_bad_pictures_and_changes_nothing(api, fields, says):
    import io

    content, name = fields["picture"]
    data = _picture() if content == "png" else content
    fields = {**fields, "picture": (io.BytesIO(data), name)}
    with api.application.app_context():
        before = db.session.scalar(select(func.count()).select_from(Message))
    response = _simulator_send(api, text="hello", **{"from": STRANGER, **fields})
    assert response.status_code == 422
    assert says in html(response).select_one(".error-box").get_text()
    with api.application.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == before


def test_the_simulator_names_each_extension_with_its_numbers_once_bracketed(api):
    """ "Alice Chen ((650) 555-0101)" read oddly in the walk: the name, then its numbers."""
    page = html(api.get("/sandbox/phone"))
    first = page.select_one("select#ext option[value='101']").get_text()
    assert first == "Alice Chen · (650) 555-0101"
    assert "((" not in page.select_one("select#ext").get_text()
