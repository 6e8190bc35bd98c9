"""An admin page loaded in a frame, in real Chromium: the browser refuses to show it.

A CRM page (another site) frames Sidetalk's sign-in with ``next=/admin/``; the admin signs
in inside the frame. The sign-in answers with the admin home in place, which carries
``frame-ancestors 'none'``: Chromium must not render it, so nothing of the console is
ever seen (or clickable) inside someone else's page. The same frame shows the widget.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.browser.person import assert_seen

pytestmark = pytest.mark.browser


def _frame_sign_in(page, host_server, next_path: str):
    page.goto(f"{host_server.url}/?src={quote('/auth/signin?next=' + next_path, safe='')}")
    frame = page.frame_locator("#sidetalk")
    frame.locator("label[data-extension-number='101']").click()
    return frame


def test_a_framed_admin_page_is_refused_by_the_browser(page, host_server):
    refusals: list[str] = []
    page.on(
        "console",
        lambda m: refusals.append(m.text) if "frame-ancestors" in m.text else None,
    )

    frame = _frame_sign_in(page, host_server, "/admin/")
    frame.get_by_role("button", name="Sign in").click()

    for _ in range(75):  # the POST's answer arrives, and Chromium says why it refused it
        if refusals:
            break
        page.wait_for_timeout(200)
    assert refusals and "'none'" in refusals[0], refusals
    assert frame.get_by_role("heading", name="Administer").count() == 0
    assert frame.get_by_role("link", name="Open company settings").count() == 0
    # The host page itself is untouched.
    assert_seen(page.get_by_role("heading", name="Acme CRM"), "the CRM page's heading")


def test_the_same_frame_shows_the_widget(page, host_server):
    from playwright.sync_api import expect

    frame = _frame_sign_in(page, host_server, "/widget/")
    frame.get_by_role("button", name="Sign in").click()

    expect(frame.get_by_role("button", name="Compose")).to_be_visible()
