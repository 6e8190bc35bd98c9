"""Sidetalk on the RingCentral platform, served over real HTTP, against the fake RingCentral.

Both directions are real HTTP: Sidetalk calls the fake's REST API, and the fake posts
webhook validations and notifications to Sidetalk's public URL.
"""

from __future__ import annotations

import json
import shutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import requests
from bs4 import BeautifulSoup
from werkzeug.serving import make_server

from fakes.ringcentral import FakeRingCentral
from tests.conftest import make_app
from widget import htmx_support
from widget.extensions import db


@dataclass
class Served:
    app: object
    url: str
    fake: FakeRingCentral

    def session(self) -> requests.Session:
        return requests.Session()

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http")


@pytest.fixture
def fake_rc():
    with FakeRingCentral() as fake:
        yield fake


def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.daemon = True
    thread.start()
    return server, thread


def rc_settings(fake: FakeRingCentral, **overrides) -> dict:
    """The configuration of Sidetalk on the RingCentral platform, against ``fake``."""
    return {
        "PLATFORM": "ringcentral",
        "RINGCENTRAL_SERVER_URL": fake.url,
        "RINGCENTRAL_CLIENT_ID": fake.client_id,
        "RINGCENTRAL_CLIENT_SECRET": fake.client_secret or "",
        # Plain http on 127.0.0.1 in tests: a Secure cookie would never come back.
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_PARTITIONED": False,
        **overrides,
    }


def rc_app(tmp_path, empty_template, fake: FakeRingCentral, **overrides):
    shutil.copy(empty_template, tmp_path / "test.db")
    settings = rc_settings(fake, **overrides)
    return make_app(f"sqlite:///{tmp_path / 'test.db'}", tmp_path, **settings)


@contextmanager
def serving(app, fake: FakeRingCentral):
    """Serve ``app`` over real HTTP, its public URL where it listens; stop it after."""
    server, thread = _serve(app)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = url
    try:
        yield Served(app, url, fake)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def rc_server(tmp_path, empty_template, fake_rc):
    with serving(rc_app(tmp_path, empty_template, fake_rc), fake_rc) as served:
        yield served


def sign_in_over_http(served: Served, browser: requests.Session | None = None) -> tuple:
    """Run the whole OAuth dance as a browser would; return (browser, widget token)."""
    browser = browser or served.session()
    start = browser.get(f"{served.url}/auth/oauth/start?next=/widget/", allow_redirects=False)
    assert start.status_code == 302, start.text
    authorize = browser.get(start.headers["Location"], allow_redirects=False)
    assert authorize.status_code == 302, authorize.text
    callback = browser.get(authorize.headers["Location"], allow_redirects=False)
    # The callback answers with the widget itself, its token in page memory (never a URL).
    assert callback.status_code == 200, callback.text
    body = BeautifulSoup(callback.text, "html.parser").find("body")
    assert body["data-location"] == "/widget/"
    token = json.loads(body["hx-headers"])[htmx_support.TOKEN_HEADER]
    return browser, token
