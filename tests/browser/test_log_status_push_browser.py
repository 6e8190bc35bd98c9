"""The log status pushed after a CRM write, seen at 360 x 800 where it lands: the open Log
panel gets the panel's block (no "Choose record" leading to itself), the thread its own."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser.log_steps import deliver_sms
from tests.browser.person import ConsoleWatch, assert_seen, open_conversation, sign_in
from widget.extensions import db
from widget.models import Extension

pytestmark = pytest.mark.browser

PRIYA = "+13125550144"  # the local CRM holds two records with her number


def _priya_thread_needing_a_decision(server) -> int:
    """Alice auto-logs; Priya's text matches two records, so it waits for Alice's choice."""
    from widget.crm_logging import engine

    with server.app.app_context():
        alice = db.session.scalar(select(Extension).filter_by(extension_number="101"))
        engine.set_auto_log(alice, True)
        db.session.remove()
    return deliver_sms(server, PRIYA, "Which quote is current?")


def _push_status(server, conversation_id: int) -> None:
    """What a finished CRM write announces after its commit (``outcomes``)."""
    from widget.crm_logging.outcomes import log_state_changed

    with server.app.app_context():
        alice = db.session.scalar(select(Extension).filter_by(extension_number="101"))
        log_state_changed.send(None, extension_id=alice.id, conversation_id=conversation_id)
        db.session.remove()


def _replaced(page, status) -> None:
    """Wait until the push has replaced ``status`` (marked before the push)."""
    from playwright.sync_api import expect

    expect(status).not_to_have_attribute("data-before-push", "yes")


def test_the_open_log_panel_gets_its_own_status_after_a_push(person, live_server):
    from playwright.sync_api import expect

    console = ConsoleWatch().attach(person)
    conversation_id = _priya_thread_needing_a_decision(live_server)
    sign_in(person, live_server.url, "101")
    open_conversation(person, conversation_id)
    thread_status = person.locator(f"#thread .thread-actions #log-status-{conversation_id}")
    expect(thread_status).to_have_attribute("data-view", "thread")
    assert_seen(thread_status.get_by_role("button", name="Choose record"), "Choose record")

    thread_status.get_by_role("button", name="Choose record").click()
    panel = person.locator(f"#log-panel[data-conversation-id='{conversation_id}']")
    expect(panel.get_by_role("heading", name="Log to Local CRM")).to_be_visible()
    status = panel.locator(f"#log-status-{conversation_id}")
    expect(status).to_have_attribute("data-view", "panel")
    status.evaluate("el => el.setAttribute('data-before-push', 'yes')")

    _push_status(live_server, conversation_id)

    _replaced(person, status)
    expect(status).to_have_attribute("data-view", "panel")
    assert_seen(status.get_by_text("Needs a decision: several records match."), "the decision")
    expect(status.get_by_role("button")).to_have_count(0)  # no "Choose record" in the panel
    expect(person.get_by_role("button", name="Choose record")).to_have_count(0)
    assert_seen(panel.get_by_role("radio").first, "the records to choose from")
    expect(person.locator(".thread-actions")).to_have_count(0)  # the thread is not on show

    # Back in the thread, a push brings the thread's block, with its button.
    panel.get_by_role("button", name="Back to conversation").click()
    expect(thread_status).to_have_attribute("data-view", "thread")
    thread_status.evaluate("el => el.setAttribute('data-before-push', 'yes')")
    _push_status(live_server, conversation_id)
    _replaced(person, thread_status)
    assert_seen(thread_status.get_by_role("button", name="Choose record"), "Choose record")
    expect(person.locator(f"#log-status-{conversation_id}")).to_have_count(1)
    console.assert_clean()
