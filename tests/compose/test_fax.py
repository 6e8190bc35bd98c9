"""Sending a fax: PDF only, size limit, cover page, internal delivery, failures, once."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.compose.conftest import form_key, messages_of, post_form
from tests.helpers import html
from widget import media
from widget.extensions import db
from widget.models import Message
from widget.platforms.sandbox.generated import fax_pdf, pdf_page_count

DOCUMENT = fax_pdf("Quote Q-1042", [f"Line {i}" for i in range(120)], pages=2)


def send(client, headers, to, document=DOCUMENT, filename="quote.pdf", **fields):
    key = fields.pop("key", None) or form_key(client, headers, "/widget/compose/?mode=fax")
    data = {"idempotency_key": key, "to": to, **fields}
    if document is not None:
        data["document"] = (document, filename)
    return post_form(client, "/widget/compose/fax", headers, data)


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Message))


def test_fax_panel(demo_client, alice):
    panel = html(demo_client.get("/widget/compose/?mode=fax", headers=alice))
    form = panel.find("form", id="fax-form")
    assert form["hx-post"] == "/widget/compose/fax"
    assert form.find("input", {"name": "document"})["accept"].startswith("application/pdf")
    assert form.find("textarea", {"name": "cover_text"})["maxlength"] == "1024"
    assert form.find("button", string="Send fax")


def test_fax_to_a_colleague_lands_in_their_fax_tab_with_the_cover_page(
    demo_app, demo_client, alice
):
    pages = pdf_page_count(DOCUMENT)
    response = send(demo_client, alice, "(650) 555-0102", cover_text="For Bob: the quote")
    assert response.status_code == 200, response.data
    assert f"Fax of {pages} pages sent to (650) 555-0102." in html(response).find(id="flash").text
    with demo_app.app_context():
        (sent,) = messages_of("101", type="Fax")[-1:]
        assert sent.direction.value == "Outbound" and sent.message_status.value == "Sent"
        documents = [a for a in sent.attachments if a.kind == "RenderedDocument"]
        assert [a.filename for a in documents] == ["cover.pdf", "quote.pdf"]
        assert documents[0].page_count == pages + 1
        (received,) = [
            m for m in messages_of("102", type="Fax") if m.from_address == "+16505550101"
        ]
        assert received.direction.value == "Inbound"
        assert received.conversation.channel.value == "fax"
        cover, document = (media.read_bytes(a.storage_path) for a in received.attachments)
        assert document == DOCUMENT
        assert cover.startswith(b"%PDF-") and pdf_page_count(cover) == 1
        assert received.attachments[0].page_count == pages + 1


def test_fax_outside_and_failing_numbers(demo_app, demo_client, alice):
    assert send(demo_client, alice, "+12025550123").status_code == 200
    assert send(demo_client, alice, "+12025550190").status_code == 200  # failing range
    with demo_app.app_context():
        statuses = {
            m.to_parties[0]["address"]: m.message_status.value
            for m in messages_of("101", type="Fax")
            if m.direction.value == "Outbound"
        }
        assert statuses["+12025550123"] == "Sent"
        assert statuses["+12025550190"] == "SendingFailed"


def test_fax_bad_input_changes_nothing(demo_app, demo_client, alice):
    before = count(demo_app)
    cases = [
        ({"to": "+12025550123", "document": None}, "document", "Choose the PDF document"),
        ({"to": "+12025550123", "document": b"\x89PNG\r\n\x1a\nnope"}, "document", "not a PDF"),
        ({"to": "+12025550123", "document": b"%PDF-1.4 garbage"}, "document", "cannot be read"),
        (
            {"to": "+12025550123", "document": b"%PDF-" + b"0" * (10 * 1024 * 1024)},
            "document",
            "faxes up to 10 MB",
        ),
        ({"to": "12"}, "to", "no extension 12"),
        ({"to": ""}, "to", "Enter a name or number."),
        ({"to": "102"}, "to", "A fax goes to a phone number."),
        ({"to": "+12025550123", "cover_text": "x" * 1025}, "cover_text", "limit is 1024"),
        ({"to": "+12025550123", "from": "+16505550102"}, "from", "not one of your fax numbers"),
    ]
    for fields, field, message in cases:
        fields = dict(fields)
        document = fields.pop("document", DOCUMENT)
        response = send(demo_client, alice, document=document, **fields)
        assert response.status_code == 422, (fields, response.data[:300])
        assert message in response.get_data(as_text=True), (field, message)
    assert count(demo_app) == before


def test_fax_double_submit_sends_once(demo_app, demo_client, alice):
    key = form_key(demo_client, alice, "/widget/compose/?mode=fax")
    before = count(demo_app)
    assert send(demo_client, alice, "+12025550123", key=key).status_code == 200
    assert send(demo_client, alice, "+12025550123", key=key).status_code == 200
    assert count(demo_app) == before + 1
