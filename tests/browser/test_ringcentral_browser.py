"""RingCentral in real Chromium: the widget in a cross-site iframe signs in through a popup.

The widget (127.0.0.1) is framed by a CRM-like page on ``localhost`` (another site).
"Sign in with RingCentral" opens the fake RingCentral's authorize page in a popup; the
popup hands back to Sidetalk's own origin with postMessage and the frame shows the
synced list. A text the fake receives arrives by webhook and shows without a reload; a
reply typed in the frame reaches the fake's ``/sms``.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs

import pytest

from fakes.ringcentral import FakeRingCentral
from tests.browser.conftest import WIDGET_HEIGHT, WIDGET_WIDTH, serve
from tests.platforms.ringcentral.conftest import rc_app
from widget.extensions import db

pytestmark = pytest.mark.browser

HOST_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Acme CRM</title></head><body><h1>Acme CRM</h1>
<iframe id="sidetalk" title="Sidetalk" src="{src}" width="{w}" height="{h}"></iframe>
</body></html>"""


@pytest.fixture
def rc_live(tmp_path, empty_template):
    with FakeRingCentral() as fake:
        # Chromium's own cookie rules here: Secure, SameSite=None, Partitioned.
        app = rc_app(
            tmp_path, empty_template, fake,
            SESSION_COOKIE_SECURE=True, SESSION_COOKIE_PARTITIONED=True,
        )  # fmt: skip
        server = serve(app)
        app.config["PUBLIC_URL"] = server.url

        def host_page(environ, start_response):
            query = parse_qs(environ.get("QUERY_STRING", ""))
            path = query.get("src", ["/auth/signin?next=/widget/"])[0]
            body = HOST_PAGE.format(
                src=html.escape(server.url + path), w=WIDGET_WIDTH, h=WIDGET_HEIGHT
            ).encode()
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [body]

        host = serve(host_page, host="127.0.0.1", url_host="localhost")
        yield fake, server, host
        host.stop()
        server.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_sign_in_by_popup_synced_list_live_inbound_and_reply(page, rc_live):
    from playwright.sync_api import expect

    fake, server, host = rc_live
    fake.inbound_sms("+14155550123", "Synced before sign-in")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(host.url + "/")
    widget = page.frame_locator("#sidetalk")
    button = widget.get_by_role("link", name="Sign in with RingCentral")
    expect(button).to_be_in_viewport()
    with page.expect_popup() as opened:
        button.click()
    popup = opened.value
    popup.wait_for_event("close")  # handed back with postMessage, then closed itself

    first = widget.locator("#rows li[data-conversation-id]").first
    expect(first).to_be_visible()
    expect(first.locator(".preview")).to_have_text("Synced before sign-in")
    expect(first).to_be_in_viewport()
    body = widget.locator("body")
    body.evaluate("() => { window.__sameDocument = true; }")

    # A customer texts: RingCentral's webhook reaches Sidetalk, the row updates live.
    fake.inbound_sms("+14155550123", "Live over the webhook")
    expect(first.locator(".preview")).to_have_text("Live over the webhook")
    assert body.evaluate("() => window.__sameDocument") is True  # the frame did not reload

    # The reply typed in the frame reaches RingCentral's /sms.
    first.locator(".row-main").click()
    thread = widget.locator("#thread article[data-conversation-id]")
    expect(thread.locator("li.bubble.inbound", has_text="Live over the webhook")).to_be_visible()
    thread.locator("textarea[name=text]").fill("See you then")
    thread.get_by_role("button", name="Send").click()
    expect(thread.locator("li.bubble.outbound", has_text="See you then")).to_have_count(1)
    assert [m["subject"] for m in fake.api.sent] == ["See you then"]
    assert not [e for e in errors if "favicon" not in e], errors
