"""The template picker over HTTP: variables filled for the recipient, escaping, refusals."""

from __future__ import annotations

from sqlalchemy import select

from tests.helpers import add_contact, html
from widget.extensions import db
from widget.models import ContactSource, Extension

JANE = "+14155550123"


def picker_items(response):
    return {li.find("button").get_text(): li for li in html(response).select("#template-picker li")}


def test_picker_fills_variables_for_the_recipient(demo_client, alice):
    response = demo_client.get(
        "/widget/templates/picker", query_string={"to": "(415) 555-0123"}, headers=alice
    )
    assert response.status_code == 200
    items = picker_items(response)
    call_me = items["Call me back"]
    assert call_me.find("button")["type"] == "button"
    assert call_me.find("button")["data-insert-text"] == (
        "Hi Jane, this is Alice. Please call me back at extension 101 when you have a minute."
    )
    assert call_me.select(".warning") == []


def test_picker_warns_next_to_items_with_missing_values(demo_client, alice):
    acme = picker_items(
        demo_client.get("/widget/templates/picker?to=%2B16175550199", headers=alice)
    )
    warning = acme["Call me back"].select_one(".warning").get_text()
    assert "No first name for this contact: {{contact.first_name}} left empty" in warning
    assert acme["On my way"].select(".warning") == []  # uses only user variables
    nobody = picker_items(demo_client.get("/widget/templates/picker", headers=alice))
    assert "No recipient chosen yet" in nobody["Call me back"].select_one(".warning").get_text()
    assert (
        nobody["Call me back"].find("button")["data-insert-text"].startswith("Hi , this is Alice")
    )


def test_picker_for_a_conversation_uses_its_party(demo_client, demo_app, alice):
    from widget.models import Conversation

    with demo_app.app_context():
        alice_ext = db.session.scalars(
            select(Extension).where(Extension.extension_number == "101")
        ).one()
        conversation_id = db.session.scalar(
            select(Conversation.id)
            .where(
                Conversation.extension_id == alice_ext.id, Conversation.participants == f",{JANE},"
            )
            .limit(1)
        )
    response = demo_client.get(
        f"/widget/templates/picker?conversation_id={conversation_id}", headers=alice
    )
    text = picker_items(response)["Call me back"].find("button")["data-insert-text"]
    assert text.startswith("Hi Jane,")


def test_picker_refuses_other_peoples_conversations_and_bad_numbers(
    demo_client, demo_app, bob, alice
):
    from widget.models import Conversation

    with demo_app.app_context():
        alice_ext = db.session.scalars(
            select(Extension).where(Extension.extension_number == "101")
        ).one()
        alices = db.session.scalar(
            select(Conversation.id).where(Conversation.extension_id == alice_ext.id).limit(1)
        )
    assert (
        demo_client.get(
            f"/widget/templates/picker?conversation_id={alices}", headers=bob
        ).status_code
        == 404
    )
    assert (
        demo_client.get("/widget/templates/picker?conversation_id=abc", headers=bob).status_code
        == 400
    )
    too_many = "&".join(f"to=%2B1415555{n:04d}" for n in range(51))
    assert demo_client.get(f"/widget/templates/picker?{too_many}", headers=alice).status_code == 400


def test_picker_treats_an_invalid_recipient_as_unknown(demo_client, alice):
    # The compose form reports a bad recipient next to it; the picker must still work.
    response = demo_client.get("/widget/templates/picker?to=not-a-number", headers=alice)
    assert response.status_code == 200
    warning = picker_items(response)["Call me back"].select_one(".warning").get_text()
    assert "No contact matches not-a-number" in warning


def test_hostile_contact_names_are_escaped_and_not_reinterpreted(demo_client, demo_app, alice):
    with demo_app.app_context():
        alice_ext = db.session.scalars(
            select(Extension).where(Extension.extension_number == "101")
        ).one()
        add_contact(
            alice_ext.account_id,
            "+12065550131",
            ContactSource.PERSONAL,
            alice_ext.id,
            first_name='<script>alert("x")</script>',
            last_name="{{user.name}}",
        )
    demo_client.post(
        "/widget/templates/",
        data={
            "scope": "personal",
            "title": "Echo",
            "body": "[{{contact.first_name}}|{{contact.last_name}}]",
        },
        headers=alice,
    )
    response = demo_client.get("/widget/templates/picker?to=%2B12065550131", headers=alice)
    raw = response.get_data(as_text=True)
    assert "<script>" not in raw
    assert "&lt;script&gt;" in raw
    button = picker_items(response)["Echo"].find("button")
    assert button["data-insert-text"] == '[<script>alert("x")</script>|{{user.name}}]'


def test_compose_and_reply_forms_offer_insert_template(demo_client, demo_app, alice):
    compose = html(demo_client.get("/widget/compose/", headers=alice))
    details = compose.select_one("#compose-form details.template-insert")
    assert details.find("summary").get_text() == "Insert template"
    loader = details.select_one("[hx-get]")
    assert loader["hx-get"] == "/widget/templates/picker"
    assert loader["hx-include"] == "#recipient-chips"  # the chosen recipients' hidden inputs
    assert loader["hx-trigger"] == "toggle from:closest details"
    from widget.models import Conversation

    with demo_app.app_context():
        alice_ext = db.session.scalars(
            select(Extension).where(Extension.extension_number == "101")
        ).one()
        conv_id = db.session.scalar(
            select(Conversation.id).where(
                Conversation.extension_id == alice_ext.id,
                Conversation.participants == ",+12125550187,",
                Conversation.channel == "text",
            )
        )
    thread = html(demo_client.get(f"/widget/conversations/{conv_id}", headers=alice))
    reply_loader = thread.select_one("#reply-form details.template-insert [hx-get]")
    assert reply_loader["hx-get"] == f"/widget/templates/picker?conversation_id={conv_id}"
    picker = picker_items(demo_client.get(reply_loader["hx-get"], headers=alice))
    assert picker["Call me back"].find("button")["data-insert-text"].startswith("Hi Sam,")
