"""Steps the Log browser tests share: deliver a text, sign in inside the CRM page, find
the widget's frame."""

from __future__ import annotations

import requests

from tests.browser.person import wait_until_live

ALICE_NUMBER = "+16505550101"


def deliver_sms(live_server, sender: str, text: str) -> int:
    """Deliver an inbound SMS to Alice through the sandbox; return its conversation id."""
    delivered = requests.post(
        f"{live_server.url}/sandbox/inbound",
        json={"from": sender, "to": ALICE_NUMBER, "text": text, "type": "SMS"},
        timeout=10,
    )
    assert delivered.status_code == 201, delivered.text
    return delivered.json()["conversation_id"]


def sign_in_as_alice(page, host_server):
    """Open the CRM page and sign in as 101 inside its widget; return the widget frame."""
    page.goto(host_server.url + "/")
    widget = page.frame_locator("#sidetalk")
    widget.locator("label[data-extension-number='101']").click()
    widget.get_by_role("button", name="Sign in").click()
    wait_until_live(widget)
    return widget


def widget_frame(page, live_server):
    """Return the page's frame served by the widget's own server."""
    for frame in page.frames:
        if frame.url.startswith(live_server.url):
            return frame
    raise AssertionError(f"no frame from {live_server.url}: {[f.url for f in page.frames]}")


def open_logged_activity(page, widget, conversation_id: int):
    """Open the local CRM from the conversation's "View activity" link, as a person does:
    the widget hands its token to the new tab in a POST body, never in a URL."""
    with page.context.expect_page() as opened:
        widget.locator(f"#log-status-{conversation_id} a.activity-link").click()
    crm = opened.value
    crm.wait_for_load_state()
    return crm
