"""Compose over HTTP, bad input: each is refused with a clear message and changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.compose.conftest import (
    compose,
    counts,
    form_key,
    messages_of,
)
from tests.helpers import html, sign_in
from widget.extensions import db
from widget.models import SendRequest

JANE, SAM = "+14155550123", "+12125550187"
NEW_NUMBER = "+12025550123"  # nobody in the demo


def test_sending_as_a_number_the_extension_does_not_own_is_refused(demo_app, demo_client):
    carol = sign_in(demo_client, "103")
    before = counts(demo_app)
    response = compose(demo_client, carol, [NEW_NUMBER], text="Spoof", **{"from": "+16505550101"})
    assert response.status_code == 422
    assert (
        "is not one of your texting numbers" in html(response).find(class_="field-error").get_text()
    )
    assert counts(demo_app) == before
    with demo_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SendRequest)) == 0


def test_invalid_and_empty_recipients_are_reported_next_to_each_and_valid_ones_sent_once(
    demo_app, demo_client, alice
):
    key = form_key(demo_client, alice)
    data = {
        "idempotency_key": key,
        "to": [NEW_NUMBER, "12", "not a number", "", "+1 555 000 1234", "101"],
        "text": "Mixed bag",
    }
    response = demo_client.post("/widget/compose/send", headers=alice, data=data)
    assert response.status_code == 422
    page = html(response)
    chips = {
        chip["data-recipient"]: chip.find(class_="field-error").get_text()
        for chip in page.find(id="recipient-chips").find_all("li", class_="chip")
    }
    assert set(chips) == {"12", "not a number", "+1 555 000 1234", "101"}
    assert "no extension 12" in chips["12"]
    assert "not a phone number" in chips["not a number"]
    assert "not a valid phone number" in chips["+1 555 000 1234"]
    assert "your own extension" in chips["101"]
    assert "Sent to (202) 555-0123" in page.find(class_="notice").get_text()
    assert page.find("section", id="list")["hx-swap-oob"] == "innerHTML"
    # The form comes back with a new key: the same submit again sends nothing more.
    assert page.find("input", {"name": "idempotency_key"})["value"] != key
    again = demo_client.post("/widget/compose/send", headers=alice, data=data)
    assert again.status_code == 422
    with demo_app.app_context():
        assert len(messages_of("101", subject="Mixed bag")) == 1


def test_no_recipient_at_all_changes_nothing(demo_app, demo_client, alice):
    before = counts(demo_app)
    response = compose(demo_client, alice, [], text="To nobody")
    assert response.status_code == 422
    assert html(response).find(class_="recipients").find(class_="field-error").get_text() == (
        "Add at least one recipient."
    )
    assert counts(demo_app) == before


def test_empty_text_without_attachment_is_refused(demo_app, demo_client, alice):
    before = counts(demo_app)
    response = compose(demo_client, alice, [NEW_NUMBER], text="   \r\n ")
    assert response.status_code == 422
    page = html(response)
    assert page.find(id="compose-text-error").get_text() == "Write a message (or attach a picture)."
    assert page.find("li", class_="chip")["data-recipient"] == NEW_NUMBER  # chip kept
    assert counts(demo_app) == before


def test_text_over_1000_characters_is_refused_counting_utf16_units(demo_app, demo_client, alice):
    before = counts(demo_app)
    response = compose(demo_client, alice, [NEW_NUMBER], text="🙂" * 501)  # 1002 units
    assert response.status_code == 422
    assert "1002 characters; the limit is 1000" in html(response).find(id="compose-text-error").text
    ok = compose(demo_client, alice, [NEW_NUMBER], text="a\r\n" * 500)  # CRLF counts one: 1000
    assert ok.status_code == 200
    assert counts(demo_app)[0] == before[0] + 1


def test_unsupported_and_oversized_files_are_refused(demo_app, demo_client, alice):
    before = counts(demo_app)
    fake = compose(
        demo_client,
        alice,
        [NEW_NUMBER],
        text="Invoice",
        files={"attachment": (b"%PDF-1.4\n...", "invoice.png")},
    )
    assert fake.status_code == 422
    assert (
        "not a JPEG, PNG or GIF"
        in html(fake).find(class_="message-box").find(class_="field-error").get_text()
    )
    huge = compose(
        demo_client,
        alice,
        [NEW_NUMBER],
        text="Huge",
        files={"attachment": (b"\xff\xd8\xff" + b"\0" * int(11.8 * 1024 * 1024), "big.jpg")},
    )
    assert huge.status_code == 422
    # The real size, not the 10 MB that was read before refusing.
    assert "“big.jpg” is 11.8 MB; pictures up to 10 MB can be attached." in huge.get_data(
        as_text=True
    )
    assert counts(demo_app) == before


def test_double_submit_of_the_same_form_sends_once(demo_app, demo_client, alice):
    key = form_key(demo_client, alice)
    first = compose(demo_client, alice, [NEW_NUMBER, SAM], text="Only once", key=key)
    second = compose(demo_client, alice, [NEW_NUMBER, SAM], text="Only once", key=key)
    assert first.status_code == second.status_code == 200
    with demo_app.app_context():
        assert len(messages_of("101", subject="Only once")) == 2
        assert db.session.scalar(select(func.count()).select_from(SendRequest)) == 1
    assert html(second).find(id="flash").get_text() == html(first).find(id="flash").get_text()


def test_a_form_without_its_key_is_refused(demo_app, demo_client, alice):
    before = counts(demo_app)
    response = demo_client.post(
        "/widget/compose/send", headers=alice, data={"to": [NEW_NUMBER], "text": "x"}
    )
    assert response.status_code == 400
    assert "send key" in response.get_data(as_text=True)
    assert counts(demo_app) == before


def test_compose_needs_sign_in_and_csrf(demo_client, alice):
    response = demo_client.post(
        "/widget/compose/send",
        headers={"X-Sidetalk-Token": alice["X-Sidetalk-Token"], "HX-Request": "true"},
        data={"idempotency_key": "x" * 20, "to": [NEW_NUMBER], "text": "no csrf"},
    )
    assert response.status_code == 403
    anonymous = demo_client.post("/widget/compose/send", data={"text": "x"})
    assert anonymous.status_code in (401, 403)
