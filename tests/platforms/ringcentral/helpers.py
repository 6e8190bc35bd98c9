"""Helpers for driving Sidetalk-on-RingCentral over HTTP like the widget does."""

from __future__ import annotations

import json

from bs4 import BeautifulSoup
from sqlalchemy import select

from tests.platforms.ringcentral.conftest import sign_in_over_http
from widget.extensions import db
from widget.models import Conversation, Message


def widget_headers(served, browser, token) -> dict[str, str]:
    """Open the widget and return the headers its htmx requests carry (token, CSRF)."""
    page = browser.get(f"{served.url}/widget/", headers={"X-Sidetalk-Token": token})
    assert page.status_code == 200, page.text
    body = BeautifulSoup(page.text, "html.parser").find("body")
    return {**json.loads(body["hx-headers"]), "HX-Request": "true"}


def signed_in(served):
    browser, token = sign_in_over_http(served)
    return browser, widget_headers(served, browser, token)


def only_conversation_id(app) -> int:
    with app.app_context():
        return db.session.scalars(select(Conversation.id)).one()


def message_rows(app) -> list[Message]:
    with app.app_context():
        rows = list(db.session.scalars(select(Message).order_by(Message.id)))
        db.session.expunge_all()
        return rows


def instant_body(fake, text: str, message_id: int) -> dict:
    """An SMS ``/message-store/instant`` notification body for the fake's extension."""
    return {
        "id": str(message_id),
        "to": [{"phoneNumber": "+16505550101", "target": True}],
        "from": {"phoneNumber": "+14155550188"},
        "type": "SMS",
        "creationTime": "2026-12-03T10:00:00.000Z",
        "lastModifiedTime": "2026-12-03T10:00:00.000Z",
        "readStatus": "Unread",
        "priority": "Normal",
        "attachments": [],
        "direction": "Inbound",
        "availability": "Alive",
        "subject": text,
        "messageStatus": "Received",
        "conversation": {"id": "9007199254740993123"},
        "eventType": "Create",
        "owner": {"extensionId": fake.extension_id, "extensionType": "User"},
    }
