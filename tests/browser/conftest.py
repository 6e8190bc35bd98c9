"""Fixtures for every browser test: real servers, a real Chromium, a screenshot on failure.

- ``live_server``: the application with its own copy of the seeded demo, served over real
  HTTP by werkzeug on ``127.0.0.1`` (a free port, one thread per request).
- ``host_server``: a page on ``localhost`` (another *site* than 127.0.0.1) embedding the
  widget in a 360 x 640 iframe, the way a CRM page does.
- ``browser``: Debian's Chromium driven by Playwright (session-wide). Skipped with a reason
  when Chromium or Playwright is missing; a failure instead on CI (``CI=true``).
- ``page``: a fresh context and page per test; when the test fails, a screenshot of the
  page is saved as ``failure.png`` in the test's tmp dir.
"""

from __future__ import annotations

import html
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tests.browser.person import ConsoleWatch, sign_in
from widget import create_app
from widget.config import TestConfig
from widget.extensions import db

CHROMIUM = Path(os.environ.get("SIDETALK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
WIDGET_WIDTH, WIDGET_HEIGHT = 360, 640


def _unavailable(reason: str) -> None:
    if ON_CI:
        pytest.fail(f"{reason}; CI must run the browser tests, not skip them")
    pytest.skip(reason)


@dataclass
class Server:
    url: str
    app: Flask | None
    _server: BaseWSGIServer
    _thread: threading.Thread

    @property
    def port(self) -> int:
        return self._server.server_port

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()


def closing_responses(wsgi_app):
    """``wsgi_app`` whose response bodies are closed even when the browser drops the
    connection mid-answer.

    Werkzeug's development server closes a body after reading what is left of the
    request; when the browser has reset the connection (a navigation cancelling a
    stylesheet) that read raises first, the body (an open static file) is never closed,
    and ``filterwarnings = error`` fails whichever test is running with a ResourceWarning.
    The generator here closes the body when it is exhausted, closed or collected.
    """

    def app(environ, start_response):
        body = wsgi_app(environ, start_response)

        def chunks():
            try:
                yield from body
            finally:
                if hasattr(body, "close"):
                    body.close()

        return chunks()

    return app


def serve(wsgi_app, host: str = "127.0.0.1", url_host: str | None = None) -> Server:
    """Serve ``wsgi_app`` on a free port in a daemon thread; return the running server."""
    server = make_server(host, 0, closing_responses(wsgi_app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"server-{host}", daemon=True)
    thread.start()
    url = f"http://{url_host or host}:{server.server_port}"
    return Server(
        url=url,
        app=wsgi_app if isinstance(wsgi_app, Flask) else None,
        _server=server,
        _thread=thread,
    )


def demo_app_copy(demo_template: Path, root: Path) -> Flask:
    """An application on a private copy of the seeded demo database and media."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_template / "demo.db", root / "live.db")
    shutil.copytree(demo_template / "media", root / "media")
    os.environ["SIDETALK_INSTANCE_PATH"] = str(root / "instance")
    try:
        return create_app(TestConfig(f"sqlite:///{root / 'live.db'}", str(root / "media")))
    finally:
        os.environ.pop("SIDETALK_INSTANCE_PATH", None)


@pytest.fixture
def live_server(demo_template, tmp_path) -> Iterator[Server]:
    """The seeded demo served over real HTTP on 127.0.0.1; ``.url`` and ``.app``."""
    app = demo_app_copy(demo_template, tmp_path / "live")
    server = serve(app)
    # Where people reach this Sidetalk: what a page rendered outside a request (a status
    # pushed by the worker, a link in a CRM body) links to, as SIDETALK_PUBLIC_URL does.
    app.config["PUBLIC_URL"] = server.url
    yield server
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme CRM · Contact</title>
<style>body{{margin:0;font:14px sans-serif;display:flex}}main{{flex:1;padding:16px}}
iframe{{border:0;border-left:1px solid #ccc}}</style></head>
<body><main><h1>Acme CRM</h1><p>Contact record page (another site than the widget).</p></main>
<iframe id="sidetalk" title="Sidetalk" src="{src}" width="{width}" height="{height}"
 allow="autoplay; clipboard-write"></iframe></body></html>"""


@pytest.fixture
def host_server(live_server) -> Iterator[Server]:
    """A CRM-like page on ``localhost`` framing the widget from 127.0.0.1.

    ``/`` embeds the sandbox sign-in (``next=/widget/``); ``/?src=/some/path`` embeds
    another path of the live server.
    """

    def host_page(environ, start_response):
        query = parse_qs(environ.get("QUERY_STRING", ""))
        path = query.get("src", ["/auth/signin?next=/widget/"])[0]
        if not path.startswith("/"):
            path = "/" + path
        body = HOST_PAGE.format(
            src=html.escape(live_server.url + path),
            width=WIDGET_WIDTH,
            height=WIDGET_HEIGHT,
        ).encode()
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [body]

    server = serve(host_page, host="127.0.0.1", url_host="localhost")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright, shared by the session's browser tests."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
    except Exception as exc:
        playwright.stop()
        _unavailable(f"Chromium did not start: {exc}")
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can see a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser, request, tmp_path):
    """A new browser context and page; a screenshot in tmp_path when the test fails."""
    yield from _page(browser, request, tmp_path, {"width": 1024, "height": 720})


@pytest.fixture
def person(browser, request, tmp_path):
    """A page the size of the sidebar a person uses (360 x 800); a screenshot on failure."""
    from tests.browser.person import PERSON_VIEWPORT

    yield from _page(browser, request, tmp_path, PERSON_VIEWPORT)


@pytest.fixture
def person_scanned(browser, request, tmp_path):
    """A 360 x 800 page that may inject axe-core (the CSP refuses injected scripts)."""
    from tests.browser.person import PERSON_VIEWPORT

    yield from _page(browser, request, tmp_path, PERSON_VIEWPORT, bypass_csp=True)


def _page(browser, request, tmp_path, viewport, bypass_csp=False):
    from playwright.sync_api import expect

    # A 2-core CI machine running the whole suite can take seconds to sign in and render;
    # waits are for things that will happen, so a generous limit costs nothing when green.
    expect.set_options(timeout=20_000)
    context = browser.new_context(viewport=viewport, bypass_csp=bypass_csp)
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        shot = tmp_path / "failure.png"
        try:
            page.screenshot(path=str(shot), full_page=True)
            print(f"\nscreenshot of the failed page: {shot}")
        except Exception as exc:  # the page may be gone; the test's own error matters more
            print(f"\nno screenshot: {exc}")
    context.close()


@pytest.fixture
def alice(person, live_server):
    """Alice (extension 101) signed in at 360 x 800; her console must stay clean."""
    console = ConsoleWatch().attach(person)
    sign_in(person, live_server.url, "101")
    yield person
    console.assert_clean()
