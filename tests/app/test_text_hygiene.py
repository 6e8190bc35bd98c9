"""Message text from outside: control characters never stored, the length counted in
UTF-16 units on every path, right-to-left overrides isolated where text is shown."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.compose.conftest import compose, messages_of
from tests.helpers import html, sign_in
from widget.extensions import db
from widget.inputs import clean_message_text, utf16_length
from widget.models import Message
from widget.platforms.records import parse_record

ALICE_SMS, JANE, NEW_NUMBER = "+16505550101", "+14155550123", "+12025550123"
HOSTILE = "a\x00b\x1b[31mc\x07d\x7f\x85e\r\nf\rg\th"


def _inbound(client, text: str):
    return client.post(
        "/sandbox/inbound", json={"from": JANE, "to": ALICE_SMS, "text": text, "type": "SMS"}
    )


def test_control_characters_are_stripped_and_line_ends_unified():
    assert clean_message_text(HOSTILE) == "ab[31mcde\nf\ng\th"
    assert clean_message_text("\u202eevil \u2067isolate\u2069") == "\u202eevil \u2067isolate\u2069"


def test_the_sandbox_inbound_path_stores_no_control_character(demo_client, demo_db):
    response = _inbound(demo_client, HOSTILE)

    assert response.status_code == 201
    stored = db.session.get(Message, response.get_json()["id"])
    assert stored.subject == "ab[31mcde\nf\ng\th"


def test_the_platform_record_path_stores_no_control_character():
    record = {
        "id": "1",
        "type": "SMS",
        "direction": "Inbound",
        "creationTime": "2026-11-17T09:05:00Z",
        "from": {"phoneNumber": JANE},
        "to": [{"phoneNumber": ALICE_SMS}],
        "subject": HOSTILE,
    }

    assert parse_record(record).subject == "ab[31mcde\nf\ng\th"


def test_the_compose_path_stores_no_control_character(demo_client, demo_db):
    alice = sign_in(demo_client, "101")

    response = compose(demo_client, alice, [NEW_NUMBER], text=HOSTILE)

    assert response.status_code == 200
    assert messages_of("101")[-1].subject == "ab[31mcde\nf\ng\th"


@pytest.mark.parametrize(("count", "status"), [(500, 201), (501, 400)])
def test_the_sandbox_inbound_limit_counts_utf16_units_like_compose(
    demo_client, demo_db, count, status
):
    text = "🙂" * count  # two UTF-16 units each

    response = _inbound(demo_client, text)

    assert response.status_code == status
    if status == 400:
        assert "1002 characters; the limit is 1000" in response.get_json()["error"]["message"]
    assert utf16_length(text) == 2 * count


def test_right_to_left_overrides_are_isolated_in_the_list_and_the_thread(demo_client, demo_db):
    text = "\u202etxt.exe pay now"
    conversation = _inbound(demo_client, text).get_json()["conversation_id"]
    alice = sign_in(demo_client, "101")

    listing = html(demo_client.get("/widget/list", headers=alice))
    thread = html(demo_client.get(f"/widget/conversations/{conversation}", headers=alice))

    row = listing.find(id=f"conversation-{conversation}")
    assert row.select_one(".preview bdi").get_text() == text
    assert row.select_one(".who bdi") is not None
    assert thread.select_one("h2 bdi") is not None
    (shown,) = [p for p in thread.select("p.text") if text in p.get_text()]
    assert shown.find("bdi").get_text() == text
    assert db.session.scalar(select(Message.subject).where(Message.subject == text)) == text
