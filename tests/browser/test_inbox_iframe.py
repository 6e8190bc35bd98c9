"""The widget inside a cross-site iframe in real Chromium: sign in, open, unread count drops."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from widget.extensions import db
from widget.models import Conversation

pytestmark = pytest.mark.browser


def _widget_frame(page, live_server):
    """The iframe's Frame object (the page itself is on another site)."""
    for frame in page.frames:
        if frame.url.startswith(live_server.url):
            return frame
    raise AssertionError(f"no frame from {live_server.url}: {[f.url for f in page.frames]}")


def test_sign_in_open_a_conversation_and_the_unread_count_drops(page, live_server, host_server):
    from playwright.sync_api import expect

    page.goto(host_server.url + "/")
    widget = page.frame_locator("#sidetalk")

    # Sign in inside the frame, as a CRM user would.
    widget.locator("label[data-extension-number='101']").click()
    widget.get_by_role("button", name="Sign in").click()
    rows = widget.locator("#rows li[data-conversation-id]")
    expect(rows.first).to_be_visible()

    frame = _widget_frame(page, live_server)
    # The sign-in POST answered with the widget itself; its script then shows the page's
    # own address (a reload must not sign in again), a moment after the rows appear.
    frame.wait_for_url(lambda url: urlparse(url).path == "/widget/")
    assert urlparse(page.url).hostname == "localhost"
    assert urlparse(frame.url).hostname == "127.0.0.1"  # another site: a third-party frame
    assert urlparse(frame.url).path == "/widget/"

    # Third-party cookies may be blocked or partitioned away: from here on, nothing but
    # the widget token in the htmx headers may carry who the user is.
    page.context.clear_cookies()
    frame.evaluate("window.__sameDocument = true")

    all_count = widget.locator("#count-all")
    before = int(all_count.get_attribute("data-count"))
    assert before > 0
    unread_row = widget.locator("#rows li.row.unread").first
    conversation_id = int(unread_row.get_attribute("data-conversation-id"))
    dropped = int(unread_row.locator(".unread-mark").inner_text())
    assert 0 < dropped <= before

    unread_row.locator(".row-main").click()

    thread = widget.locator(f"#thread article.thread[data-conversation-id='{conversation_id}']")
    expect(thread).to_be_visible()
    expect(thread.locator("li.bubble").first).to_be_visible()
    expect(all_count).to_have_attribute("data-count", str(before - dropped))
    row = widget.locator(f"#conversation-{conversation_id}")
    expect(row).not_to_have_class("row unread")
    expect(row.locator(".unread-mark")).to_have_count(0)
    expect(widget.locator("#flash .error-box")).to_have_count(0)
    assert frame.evaluate("window.__sameDocument") is True  # no reload happened

    with live_server.app.app_context():
        conversation = db.session.scalars(
            select(Conversation).where(Conversation.id == conversation_id)
        ).one()
        assert conversation.unread_count == 0
        db.session.remove()

    # Signing out works without cookies too, and lands on the sign-in page in the frame.
    widget.locator("details.menu > summary").click()  # the topbar's "More" menu
    widget.get_by_role("button", name="Sign out").click()
    expect(widget.get_by_role("heading", name="Sign in to Sidetalk")).to_be_visible()


def test_the_sidebar_fits_its_360_pixel_frame(page, live_server, host_server):
    from playwright.sync_api import expect

    page.goto(host_server.url + "/")
    widget = page.frame_locator("#sidetalk")
    widget.get_by_role("button", name="Sign in").click()
    expect(widget.locator("#rows li[data-conversation-id]").first).to_be_visible()
    frame = _widget_frame(page, live_server)

    overflow = frame.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    tabs = frame.evaluate(
        "[...document.querySelectorAll('#tabs label')].map(l => l.getBoundingClientRect().right)"
    )

    assert overflow <= 0, f"the sidebar scrolls sideways by {overflow}px at 360px"
    assert max(tabs) <= 360, f"tabs overflow the frame: {tabs}"
