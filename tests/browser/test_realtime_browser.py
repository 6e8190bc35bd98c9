"""Live updates in real Chromium: two colleagues, two browsers, no reloads.

Alice works in the widget framed by a CRM page (cookie-less: the token rides in the
websocket URL); Bob has the sidebar open on its own. Alice pages Bob with the reply box;
Bob's list shows it at once; Bob opens it and Alice sees "Read by Bob Martinez"; Bob
types and Alice sees him typing, which fades after five quiet seconds; Bob's answer
lands in Alice's open thread and, since she is looking at it, is marked read for him.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from widget.extensions import db
from widget.models import Channel, Conversation, Extension

pytestmark = pytest.mark.browser


def _conversation_between(app, owner: str, other: str) -> int:
    with app.app_context():
        owner_id = db.session.scalar(
            select(Extension.id).where(Extension.extension_number == owner)
        )
        found = db.session.scalar(
            select(Conversation.id).where(
                Conversation.extension_id == owner_id,
                Conversation.channel == Channel.PAGER,
                Conversation.participants == f",{other},",
            )
        )
        db.session.remove()
    assert found is not None, f"the demo has no pager thread between {owner} and {other}"
    return found


def _htmx_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def test_page_read_receipt_and_typing_between_two_colleagues(browser, live_server, host_server):
    from playwright.sync_api import expect

    alice_context = browser.new_context(viewport={"width": 1024, "height": 720})
    bob_context = browser.new_context(viewport={"width": 420, "height": 800})
    for context in (alice_context, bob_context):
        context.set_default_timeout(10_000)
    try:
        alice_page = alice_context.new_page()
        bob = bob_context.new_page()
        alice_errors, bob_errors = _htmx_errors(alice_page), _htmx_errors(bob)

        # Alice signs in inside the CRM page's frame; Bob in his own tab.
        alice_page.goto(host_server.url + "/")
        alice = alice_page.frame_locator("#sidetalk")
        alice.locator("label[data-extension-number='101']").click()
        alice.get_by_role("button", name="Sign in").click()
        expect(alice.locator("#realtime")).to_have_attribute("data-state", "live")
        alice_context.clear_cookies()  # from here on only the token identifies Alice

        bob.goto(live_server.url + "/auth/signin?next=/widget/")
        bob.locator("label[data-extension-number='102']").click()
        bob.get_by_role("button", name="Sign in").click()
        expect(bob.locator("#realtime")).to_have_attribute("data-state", "live")
        bob.evaluate("window.__sameDocument = true")

        # Alice pages Bob from their pager thread.
        alice_thread_id = _conversation_between(live_server.app, "101", "102")
        bob_thread_id = _conversation_between(live_server.app, "102", "101")
        alice.locator("label.tab", has_text="Pager").click()
        alice.locator(f"#conversation-{alice_thread_id} .row-main").click()
        alice_thread = alice.locator(f"#thread article[data-conversation-id='{alice_thread_id}']")
        expect(alice_thread).to_be_visible()
        text = "Lunch at noon? <b>not bold</b>"
        alice_thread.locator("textarea[name=text]").fill(text)
        alice_thread.get_by_role("button", name="Send").click()
        sent = alice_thread.locator("li.bubble.outbound", has_text="Lunch at noon?")
        expect(sent).to_have_count(1)
        expect(sent).to_have_attribute("data-read-by", "0")
        unread_render = sent.evaluate("el => el.outerHTML")

        # Bob's list shows it on top, unread, without a reload; the text stays text.
        top = bob.locator("#rows > li.row").first
        expect(top).to_have_attribute("data-conversation-id", str(bob_thread_id))
        expect(top).to_have_class("row unread")
        expect(top.locator(".preview")).to_have_text(text)
        assert bob.evaluate("window.__sameDocument") is True

        # Bob opens it: Alice sees her page was read.
        top.locator(".row-main").click()
        bob_thread = bob.locator(f"#thread article[data-conversation-id='{bob_thread_id}']")
        expect(bob_thread.locator("li.bubble.inbound", has_text="Lunch at noon?")).to_be_visible()
        expect(sent.locator(".receipt")).to_have_text("Read by Bob Martinez ✓")
        # A render from before the read arriving late (an answer overtaken by the receipt's
        # frame) leaves the receipt; a render as new as the shown one still replaces it.
        _swap_out_of_band(sent, unread_render)
        expect(sent.locator(".receipt")).to_have_text("Read by Bob Martinez ✓")
        read_render = sent.evaluate("el => el.outerHTML")
        _swap_out_of_band(sent, read_render.replace("<li ", '<li data-probe="newer" ', 1))
        expect(sent).to_have_attribute("data-probe", "newer")
        expect(sent.locator(".receipt")).to_have_text("Read by Bob Martinez ✓")

        # Bob types: Alice sees it; five quiet seconds later it is gone.
        box = bob_thread.locator("textarea[name=text]")
        box.press_sequentially("On my way", delay=40)
        indicator = alice.locator(f"#typing-{alice_thread_id}")
        expect(indicator).to_be_visible()
        expect(indicator).to_have_text("Bob Martinez is typing…")
        expect(indicator).to_be_hidden(timeout=9_000)

        # He types again and sends: the indicator goes, his answer lands in her thread...
        box.press_sequentially("!", delay=40)
        expect(indicator).to_be_visible()
        bob_thread.get_by_role("button", name="Send").click()
        answer = alice_thread.locator("li.bubble.inbound", has_text="On my way!")
        expect(answer).to_have_count(1)
        expect(indicator).to_be_hidden(timeout=2_000)
        # ...and as Alice has the thread open in front of her, it is marked read for Bob.
        bob_sent = bob_thread.locator("li.bubble.outbound", has_text="On my way!")
        expect(bob_sent.locator(".receipt")).to_have_text("Read by Alice Chen ✓")

        for errors in (alice_errors, bob_errors):
            assert not [e for e in errors if "htmx" in e.lower() or "oob" in e.lower()], errors
    finally:
        alice_context.close()
        bob_context.close()


def _swap_out_of_band(element, element_html: str) -> None:
    """Apply ``element_html`` in ``element``'s page as a frame or an answer would: an
    out-of-band swap by id."""
    element.evaluate(
        "(_, html) => htmx.swap(document.body, html, {swapStyle: 'none'})",
        element_html.replace("<li ", '<li hx-swap-oob="true" ', 1),
    )


def _sign_in(page, url: str, number: str) -> None:
    from playwright.sync_api import expect

    page.goto(url + "/auth/signin?next=/widget/")
    page.locator(f"label[data-extension-number='{number}']").click()
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#realtime")).to_have_attribute("data-state", "live")


def _inbound(live_server, text: str, to: str = "+16505550102") -> None:
    import requests

    response = requests.post(
        f"{live_server.url}/sandbox/inbound",
        json={"from": "+14155550123", "to": to, "text": text, "type": "SMS"},
        timeout=10,
    )
    assert response.status_code == 201, response.text


def test_filters_hold_and_a_dropped_socket_catches_up_with_a_fresh_token(page, live_server):
    from playwright.sync_api import expect

    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    _sign_in(page, live_server.url, "102")
    page.evaluate("window.__sameDocument = true")

    # On the Voicemail tab a new SMS updates the counts but never enters the list.
    page.locator("label.tab", has_text="Voicemail").click()
    expect(page.locator("#rows > li.row").first).to_have_attribute("data-channel", "voicemail")
    text_count = int(page.locator("#count-text").get_attribute("data-count"))
    _inbound(live_server, "not for the voicemail tab")
    expect(page.locator("#count-text")).to_have_attribute("data-count", str(text_count + 1))
    expect(page.locator("#rows li.row", has_text="not for the voicemail tab")).to_have_count(0)
    expect(page.locator("#rows > li.row[data-channel='text']")).to_have_count(0)

    # Back on All: the socket drops (as on a flaky network); a message arrives meanwhile.
    page.locator("label.tab", has_text="All").click()
    expect(page.locator("#rows > li.row").first).to_contain_text("not for the voicemail tab")
    # Every state the footer shows is recorded: on a loaded machine "Reconnecting…" can
    # come and go between two polls of an assertion.
    page.evaluate(
        """() => {
          const footer = document.getElementById('realtime');
          window.__states = [];
          new MutationObserver(() => window.__states.push(footer.dataset.state))
            .observe(footer, {attributes: true, attributeFilter: ['data-state']});
          footer['htmx-internal-data'].webSocket.socket.close(4000, 'test drop');
        }"""
    )
    # A function, not an expression: Playwright evaluates an expression again on every
    # poll, which the page's CSP (no 'unsafe-eval') refuses once the first check fails.
    page.wait_for_function("() => window.__states.includes('connecting')")
    _inbound(live_server, "sent while the socket was down")

    # The page reconnects by itself, with the token it holds now and its last position.
    expect(page.locator("#realtime")).to_have_attribute("data-state", "live", timeout=15_000)
    states = page.evaluate("window.__states")
    assert states.index("connecting") < len(states) - 1 and states[-1] == "live", states
    top = page.locator("#rows > li.row").first
    expect(top).to_contain_text("sent while the socket was down")
    assert len(sockets) == 2
    current = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))")
    token = next(
        v for k, v in current.items() if k.lower().endswith("token") and "csrf" not in k.lower()
    )
    assert token not in sockets[1] and "token" not in sockets[1]  # offered as a subprotocol
    assert "last_event_id=ext%3A" in sockets[1]
    assert sockets[0] != sockets[1]
    assert page.evaluate("window.__sameDocument") is True


def test_a_searched_row_keeps_its_highlighted_match_when_a_message_moves_it_up(page, live_server):
    from playwright.sync_api import expect

    errors = _htmx_errors(page)
    _inbound(live_server, "The pelican crate is at the dock")
    _sign_in(page, live_server.url, "102")

    page.get_by_placeholder("Search").fill("pelican")
    row = page.locator("#rows > li.row")
    expect(row).to_have_count(1)
    expect(row.locator(".preview.match mark")).to_have_text("pelican")
    before = row.locator("time.when").get_attribute("datetime")

    # A new message in that conversation: the frame brings the row with its newest text
    # as the preview; the searched list keeps the line the row was found by.
    _inbound(live_server, "Any news on it?")
    expect(row.locator("time.when")).not_to_have_attribute("datetime", before)
    expect(row).to_have_count(1)
    expect(row.locator(".preview.match mark")).to_have_text("pelican")
    expect(row).not_to_contain_text("Any news on it?")
    expect(row.locator(".preview")).to_be_in_viewport()
    assert not errors, errors
