"""The sandbox's queue endpoints: the seeded "Support" queue and texts to its number."""

from __future__ import annotations

from sqlalchemy import select

from tests.helpers import csrf_from, html, sign_in
from tests.queues.support import SUPPORT_NUMBER
from widget.extensions import db
from widget.models import QueueConversation


def test_get_sandbox_queues_lists_the_seeded_support_queue(demo_client):
    response = demo_client.get("/sandbox/queues")
    assert response.status_code == 200
    [support] = response.get_json()
    assert set(support) == {"id", "name", "phone_numbers", "members"}
    assert support["name"] == "Support"
    assert support["phone_numbers"] == [SUPPORT_NUMBER]
    assert support["members"] == ["101", "102", "103"]


def test_inbound_to_the_queue_number_delivers_to_the_queue(demo_client, demo_app):
    response = demo_client.post(
        "/sandbox/inbound",
        json={"from": "+14155550123", "to": SUPPORT_NUMBER, "text": "Is my <b>order</b> late?"},
    )
    assert response.status_code == 201, response.data
    body = response.get_json()
    with demo_app.app_context():
        case = db.session.scalar(
            select(QueueConversation).where(
                QueueConversation.conversation_id == body["conversation_id"]
            )
        )
        assert case is not None and case.is_waiting and case.first_message_id == body["id"]


def test_queue_mailboxes_are_nobody_to_sign_in_as_or_list(demo_client):
    extensions = demo_client.get("/sandbox/extensions").get_json()
    assert "800" not in [e["extension_number"] for e in extensions]
    chooser = html(demo_client.get("/auth/signin"))
    assert chooser.find("label", {"data-extension-number": "800"}) is None
    sign_in(demo_client, "101")  # people still can


def test_the_phone_simulator_texts_the_queue(demo_client, demo_app):
    page = html(demo_client.get("/sandbox/phone"))
    option = page.find("select", id="ext").find("option", value="800")
    assert option is not None and "Support" in option.get_text()
    form = {"from": "+14155550123", "ext": "800", "text": "From the simulator", "type": "SMS"}
    sent = demo_client.post(
        "/sandbox/phone/send",
        data={"csrf_token": csrf_from(demo_client.get("/sandbox/phone")), **form},
        headers={"HX-Request": "true"},
    )
    assert sent.status_code == 200, sent.data
    with demo_app.app_context():
        case = db.session.scalars(select(QueueConversation)).one()
        assert case.is_waiting
