"""The widget in a cross-site iframe with every cookie refused, in real Chromium.

No cookie ever reaches or leaves the widget's server (each response's ``Set-Cookie`` is
dropped, as a browser blocking third-party cookies, partitioned ones included, would):
sign-in, fragments and the websocket must work on the token the page holds in memory,
and no URL the browser requests may carry that token.
"""

from __future__ import annotations

import pytest
import requests

from widget.extensions import db

pytestmark = pytest.mark.browser


class RefuseCookies:
    """WSGI middleware: no cookie reaches the app and none leaves it, exactly what a
    browser blocking every third-party cookie (partitioned ones included) amounts to."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        environ.pop("HTTP_COOKIE", None)

        def start(status, headers, exc_info=None):
            kept = [(k, v) for k, v in headers if k.lower() != "set-cookie"]
            return start_response(status, kept, exc_info)

        return self.app(environ, start)


@pytest.fixture
def cookieless_widget(demo_template, tmp_path):
    """The demo served without cookies on 127.0.0.1, framed by a page on localhost."""
    from tests.browser.conftest import HOST_PAGE, WIDGET_HEIGHT, WIDGET_WIDTH, demo_app_copy, serve

    app = demo_app_copy(demo_template, tmp_path / "live")
    widget = serve(RefuseCookies(app))
    page_html = HOST_PAGE.format(
        src=f"{widget.url}/auth/signin?next=/widget/", width=WIDGET_WIDTH, height=WIDGET_HEIGHT
    ).encode()

    def host_page(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [page_html]

    host = serve(host_page, host="127.0.0.1", url_host="localhost")
    yield widget, host
    host.stop()
    widget.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_cookie_less_cross_site_frame_works_without_a_token_in_any_url(page, cookieless_widget):
    from playwright.sync_api import expect

    live_server, host_server = cookieless_widget
    requested: list[str] = []
    sockets: list = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("websocket", lambda socket: sockets.append(socket))
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))

    page.goto(host_server.url + "/")
    widget = page.frame_locator("#sidetalk")
    widget.locator("label[data-extension-number='101']").click()
    widget.get_by_role("button", name="Sign in").click()

    rows = widget.locator("#rows li[data-conversation-id]")
    expect(rows.first).to_be_visible()
    expect(widget.locator(".me")).to_have_text("Alice Chen")
    expect(widget.locator("#realtime")).to_have_attribute("data-state", "live")
    frame = next(f for f in page.frames if f.url.startswith(live_server.url))
    # The address shows the page, not the sign-in POST: a reload asks for the widget.
    assert frame.url == f"{live_server.url}/widget/"

    # A push arrives over the socket that carried its token as a subprotocol.
    delivered = requests.post(
        f"{live_server.url}/sandbox/inbound",
        json={"from": "+14155550123", "to": "+16505550101", "text": "pushed, no cookie"},
        timeout=10,
    )
    assert delivered.status_code == 201, delivered.text
    expect(rows.first).to_contain_text("pushed, no cookie")
    expect(rows.first).to_be_in_viewport()

    # A fragment call (htmx, token in its header) works too.
    rows.first.locator(".row-main").click()
    expect(widget.locator("#thread article.thread li.bubble").last).to_contain_text(
        "pushed, no cookie"
    )
    expect(widget.locator("#flash .error-box")).to_have_count(0)

    token = frame.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))")[
        "X-Sidetalk-Token"
    ]
    assert sockets and all("token" not in socket.url for socket in sockets)
    leaked = [url for url in requested if "token=" in url or token in url]
    assert leaked == []
    assert errors == []
