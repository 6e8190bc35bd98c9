"""axe-core (vendored under tests/browser/vendor) on the list, a thread, Compose, the Log
panel and Settings: no serious or critical violation; every control reachable by Tab."""

from __future__ import annotations

import pytest

from tests.browser.person import axe_violations, sign_in

pytestmark = pytest.mark.browser

JANE = "+14155550123"


def _open_first(page, channel: str) -> None:
    row = page.locator(f"#rows li[data-channel='{channel}'] .row-main").first
    row.scroll_into_view_if_needed()
    row.click()
    page.locator("#thread article.thread").wait_for()


def _views(page):
    """Yield (name, how to get there) for each view the scan covers."""
    yield "list", lambda: None
    yield "thread", lambda: _open_first(page, "text")

    def compose():
        page.get_by_role("button", name="Compose").click()
        page.locator("#compose-form").wait_for()

    yield "compose", compose

    def log_panel():
        _open_first(page, "text")
        page.locator("#thread").get_by_role("button", name="Log", exact=True).click()
        page.locator("#thread .log-panel").wait_for()

    yield "log panel", log_panel

    def settings():
        page.locator("details.menu > summary").click()
        page.get_by_role("button", name="Settings").click()
        page.locator("#thread .settings-body, #thread form").first.wait_for()

    yield "settings", settings


def test_no_serious_or_critical_violations(person_scanned, live_server):
    page = person_scanned
    sign_in(page, live_server.url)
    found = {}
    for name, go in _views(page):
        page.goto(live_server.url + "/widget/")
        page.locator("#rows li[data-conversation-id]").first.wait_for()
        go()
        found[name] = axe_violations(page)
    bad = {name: v for name, v in found.items() if v}
    assert not bad, "\n".join(f"{name}: {v}" for name, v in bad.items())


def test_every_control_is_reachable_by_keyboard(person, live_server):
    sign_in(person, live_server.url)
    _open_first(person, "text")
    controls = person.evaluate(
        """() => [...document.querySelectorAll(
              '#thread button, #thread a[href], #thread textarea, #thread input:not([type=hidden]),'
              + ' #thread select, #thread summary')]
            .filter(el => el.offsetParent !== null && !el.closest('[hidden]') && el.tabIndex >= 0
                    && !el.closest('details:not([open]) > :not(summary)'))
            .map(el => el.outerHTML.slice(0, 80))"""
    )
    reached = set()
    person.locator("#thread .back").focus()
    for _ in range(len(controls) + 60):
        html = person.evaluate("() => document.activeElement.outerHTML.slice(0, 80)")
        reached.add(html)
        person.keyboard.press("Tab")
    missing = [c for c in controls if c not in reached]
    assert missing == [], f"not reachable with Tab: {missing}"
    # Enter on a focused button acts: the Back button closes the thread.
    person.locator("#thread .back").focus()
    person.keyboard.press("Enter")
    person.locator("#thread article.thread").wait_for(state="detached")
