"""A person chooses which messages to log, in the 360-pixel sidebar framed by a CRM page."""

from __future__ import annotations

import pytest

from tests.browser.log_steps import (
    deliver_sms,
    open_logged_activity,
    sign_in_as_alice,
    widget_frame,
)

pytestmark = pytest.mark.browser

JANE = "+14155550123"
TEXTS = ["Truck arrives at 9", "Sorry, wrong chat: my cat's vet bill", "Gate code is 4411"]


def _fully_visible_and_on_top(frame, locator) -> None:
    """The control lies inside the 360 x 640 frame, and nothing covers its centre."""
    locator.scroll_into_view_if_needed()
    box = locator.evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);"
        " return {x: r.x, y: r.y, right: r.right, bottom: r.bottom,"
        " width: innerWidth, height: innerHeight, onTop: top === el || el.contains(top)}; }"
    )
    assert box["x"] >= 0 and box["right"] <= box["width"] <= 360, box
    assert box["y"] >= 0 and box["bottom"] <= box["height"], box
    assert box["onTop"], f"something covers the control: {box}"


def test_uncheck_a_message_and_log_the_rest(page, live_server, host_server):
    from playwright.sync_api import expect

    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    for text in TEXTS:
        conversation_id = deliver_sms(live_server, JANE, text)
    widget = sign_in_as_alice(page, host_server)
    widget.locator(f"#conversation-{conversation_id} .row-main").click()
    thread = widget.locator(f"article.thread[data-conversation-id='{conversation_id}']")
    thread.get_by_role("button", name="Log", exact=True).click()

    panel = widget.locator(f"#log-panel[data-conversation-id='{conversation_id}']")
    expect(panel.get_by_role("heading", name="Log to Local CRM")).to_be_visible()
    messages = panel.get_by_role("group", name="Messages to log")
    expect(messages).to_be_visible()
    frame = widget_frame(page, live_server)
    for text in TEXTS:
        box = messages.get_by_role("checkbox", name=text)
        expect(box).to_be_checked()  # all checked by default
    wrong = messages.get_by_role("checkbox", name=TEXTS[1])
    _fully_visible_and_on_top(frame, frame.get_by_role("checkbox", name=TEXTS[1]))
    wrong.uncheck()
    expect(wrong).not_to_be_checked()

    preview = panel.locator("#log-preview pre")
    expect(preview).not_to_contain_text("vet bill")  # the preview follows the choice
    expect(preview).to_contain_text(TEXTS[0])
    expect(preview).to_contain_text(TEXTS[2])

    log_button = panel.get_by_role("button", name="Log", exact=True)
    _fully_visible_and_on_top(frame, frame.locator("#log-form button[type=submit]"))
    log_button.click()
    mark = widget.locator(f"#log-status-{conversation_id}")
    expect(mark).to_have_attribute("data-state", "logged")

    crm = open_logged_activity(page, widget, conversation_id)
    body = crm.locator("article.crm-activity [data-field='body-source']")
    expect(body).to_have_count(1)
    expect(body).to_contain_text(TEXTS[0])
    expect(body).to_contain_text(TEXTS[2])
    expect(body).not_to_contain_text("vet bill")
    assert errors == []


def test_move_a_logged_day_to_the_other_matching_record(page, live_server, host_server):
    from playwright.sync_api import expect

    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    priya = "+13125550144"  # the local CRM's Contact "Priya Shah" and Lead "P. Shah"
    conversation_id = deliver_sms(live_server, priya, "Hi, it's Priya from the trade show")
    widget = sign_in_as_alice(page, host_server)
    widget.locator(f"#conversation-{conversation_id} .row-main").click()
    thread = widget.locator(f"article.thread[data-conversation-id='{conversation_id}']")
    thread.get_by_role("button", name="Log", exact=True).click()
    panel = widget.locator(f"#log-panel[data-conversation-id='{conversation_id}']")
    panel.get_by_role("radio", name="Priya Shah (Contact)").check()
    panel.get_by_role("button", name="Log", exact=True).click()
    mark = widget.locator(f"#log-status-{conversation_id} .logged-mark")
    expect(mark).to_contain_text("Logged to Priya Shah (Contact)")

    move_to = panel.get_by_label("from Priya Shah (Contact) to")
    expect(move_to).to_be_visible()
    frame = widget_frame(page, live_server)
    _fully_visible_and_on_top(frame, frame.get_by_role("button", name="Move"))
    move_to.select_option(label="P. Shah (Lead)")
    panel.get_by_role("button", name="Move").click()

    expect(mark).to_contain_text("Logged to P. Shah (Lead)")
    crm = open_logged_activity(page, widget, conversation_id)
    activities = crm.locator("article.crm-activity")
    expect(activities).to_have_count(1)  # moved, not copied
    expect(activities.locator("[data-field='record']")).to_contain_text("P. Shah")
    assert errors == []
