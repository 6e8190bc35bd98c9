"""Real Chromium on the local CRM page: bodies render in their sandboxed frame, inert."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from widget.crm_logging import engine
from widget.extensions import db
from widget.inbox.events import handle_instant_event
from widget.models import Extension, MessageType
from widget.platforms.sandbox.delivery import build_record, instant_event
from widget.platforms.sandbox.seed import demo_account

pytestmark = pytest.mark.browser

JANE = "+14155550123"
HOSTILE = "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"


def _log_hostile_message(app) -> None:
    with app.app_context():
        alice = db.session.scalar(
            select(Extension).where(
                Extension.account_id == demo_account().id, Extension.extension_number == "101"
            )
        )
        record, content = build_record(
            alice,
            MessageType.SMS,
            "Inbound",
            {"phoneNumber": JANE},
            [{"phoneNumber": alice.phone_numbers[0].e164}],
            f"Order 42 {HOSTILE}",
            datetime.now(UTC),
        )
        message = handle_instant_event("sandbox", instant_event(alice, record), content).message
        engine.log_conversation(alice, message.conversation, "contact-1", {"outcome": "Resolved"})


def test_a_logged_body_shows_as_text_in_a_sandboxed_frame(live_server, page):
    _log_hostile_message(live_server.app)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live_server.url}/auth/signin?next=/crm/local/activities")
    page.locator('label[data-extension-number="101"] input').check()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/crm/local/activities**")

    card = page.locator("article.crm-activity").filter(has_text="Jane Roe").first
    frame = card.frame_locator("iframe.crm-body")
    body = frame.locator("body")
    body.get_by_text("Order 42", exact=False).wait_for()
    text = body.inner_text()
    assert "Order 42 <img src=x onerror=" in text and "<script>" in text
    assert frame.locator("img, script").count() == 0
    assert frame.locator("a").count() == 0  # an SMS without media has no links
    assert page.title() != "pwned" and dialogs == []
    assert card.locator('[data-field="outcome"]').inner_text() == "Resolved"
