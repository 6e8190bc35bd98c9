"""Steps several browser tests take in the framed widget: deliver, sign in, open things."""

from __future__ import annotations

import requests

from tests.browser.person import wait_until_live

JANE = "+14155550123"
ALICE_NUMBER = "+16505550101"


def deliver_from_jane(live_server, text: str) -> int:
    """Jane texts Alice through the sandbox; return the conversation id."""
    delivered = requests.post(
        f"{live_server.url}/sandbox/inbound",
        json={"from": JANE, "to": ALICE_NUMBER, "text": text, "type": "SMS"},
        timeout=10,
    )
    assert delivered.status_code == 201, delivered.text
    return delivered.json()["conversation_id"]


def sign_in_as_alice(widget, conversation_id: int):
    """Sign in as 101 in the framed widget; return the conversation's row once shown."""
    from playwright.sync_api import expect

    widget.locator("label[data-extension-number='101']").click()
    widget.get_by_role("button", name="Sign in").click()
    row = widget.locator(f"#conversation-{conversation_id} .row-main")
    expect(row).to_be_visible()
    wait_until_live(widget)
    return row


def open_thread(widget, row, conversation_id: int):
    """Open the conversation of ``row``; return its thread once shown."""
    from playwright.sync_api import expect

    row.click()
    thread = widget.locator(f"article.thread[data-conversation-id='{conversation_id}']")
    expect(thread).to_be_visible()
    return thread


def open_log_panel(widget, thread, conversation_id: int):
    """Press Log in the open thread; return the Log panel once its heading shows."""
    from playwright.sync_api import expect

    thread.get_by_role("button", name="Log", exact=True).click()
    panel = widget.locator(f"#log-panel[data-conversation-id='{conversation_id}']")
    expect(panel.get_by_role("heading", name="Log to Local CRM")).to_be_visible()
    return panel
