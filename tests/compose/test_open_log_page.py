"""'Open SMS logging page after message': the day's first message opens the Log panel."""

from __future__ import annotations

import json

from tests.compose.conftest import compose, conversation_with, extension, form_key, post_form
from widget.crm_logging import engine
from widget.extensions import db


def _open_log_event(response) -> dict | None:
    events = json.loads(response.headers.get("HX-Trigger") or "{}")
    return events.get("sidetalk:open-log")


def _turn_on(app, number: str = "101") -> None:
    with app.app_context():
        engine.set_open_log_page(extension(number), True)
        db.session.commit()


def _reply(client, headers, conversation_id: int, text: str):
    key = form_key(client, headers, f"/widget/conversations/{conversation_id}")
    path = f"/widget/compose/conversations/{conversation_id}/reply"
    return post_form(client, path, headers, {"idempotency_key": key, "text": text})


def test_first_reply_of_the_day_opens_the_panel_and_the_next_does_not(demo_app, demo_client, alice):
    customer = "+13055550177"
    inbound = {"from": customer, "to": "+16505550101", "text": "Any news?", "type": "SMS"}
    assert demo_client.post("/sandbox/inbound", json=inbound).status_code == 201
    _turn_on(demo_app)
    with demo_app.app_context():
        conversation_id = conversation_with("101", customer).id

    first = _reply(demo_client, alice, conversation_id, "Yes, it shipped.")
    assert first.status_code == 200, first.data
    event = _open_log_event(first)
    assert event is not None and event["conversationId"] == conversation_id
    assert event["url"].endswith(f"/conversations/{conversation_id}/log")

    second = _reply(demo_client, alice, conversation_id, "Tracking to follow.")
    assert second.status_code == 200
    assert _open_log_event(second) is None


def test_first_message_to_a_new_number_opens_the_panel(demo_app, demo_client, alice):
    _turn_on(demo_app)
    response = compose(demo_client, alice, ["+13055550199"], text="Hello there")
    assert response.status_code == 200, response.data
    with demo_app.app_context():
        conversation_id = conversation_with("101", "+13055550199").id
    assert _open_log_event(response)["conversationId"] == conversation_id


def test_setting_off_never_opens_the_panel(demo_client, alice):
    response = compose(demo_client, alice, ["+13055550198"], text="Quiet")
    assert response.status_code == 200
    assert _open_log_event(response) is None


def test_several_recipients_do_not_open_one_panel(demo_app, demo_client, alice):
    _turn_on(demo_app)
    response = compose(demo_client, alice, ["+13055550197", "+13055550196"], text="Both")
    assert response.status_code == 200
    assert _open_log_event(response) is None
