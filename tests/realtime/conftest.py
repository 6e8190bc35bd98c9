"""Fixtures for real-time tests: a real threaded HTTP server, real websocket clients.

``live`` serves a private copy of the seeded demo on a free port (werkzeug, threaded,
so each websocket holds its own thread as under gunicorn's gthread worker). Clients are
``simple_websocket.Client`` connections; ``frames_until`` reads frames until one
matches, with a deadline, so a missing frame fails the test instead of hanging it.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
import requests
import simple_websocket
from bs4 import BeautifulSoup
from sqlalchemy import select
from werkzeug.serving import make_server
from wsproto.events import CloseConnection
from wsproto.frame_protocol import CloseReason

from tests.helpers import sign_in
from widget import htmx_support
from widget.extensions import db
from widget.models import Extension


@dataclass
class LiveServer:
    app: object
    url: str
    ws_url: str
    server: object
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_server(app, port: int = 0) -> LiveServer:
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_port
    return LiveServer(app, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", server, thread)


@pytest.fixture
def live(demo_app):
    server = start_server(demo_app)
    yield server
    server.stop()


@dataclass
class Person:
    """A signed-in demo extension: its id, widget token and the headers htmx sends."""

    extension_id: int
    number: str
    name: str
    headers: dict[str, str]

    @property
    def token(self) -> str:
        return self.headers["X-Sidetalk-Token"]


def person(app, number: str) -> Person:
    headers = sign_in(app.test_client(), number)
    with app.app_context():
        ext = db.session.scalar(select(Extension).where(Extension.extension_number == number))
        result = Person(ext.id, number, ext.name, headers)
        db.session.remove()
    return result


@pytest.fixture
def alice(demo_app) -> Person:
    return person(demo_app, "101")


@pytest.fixture
def bob(demo_app) -> Person:
    return person(demo_app, "102")


def connect(
    live: LiveServer, token: str | None = None, origin: str | None = "", **params
) -> simple_websocket.Client:
    """Open ``/ws`` as a page of Sidetalk's own origin would (``origin`` names another):
    the token offered as a subprotocol beside "sidetalk", never in the URL."""
    query = {k: v for k, v in params.items() if v is not None}
    origin = live.url if origin == "" else origin
    headers = {"Origin": origin} if origin is not None else None
    app = getattr(live, "app", None)  # a server in another process has none here
    watch = app.extensions["realtime_watch"] if app is not None else None
    before = watch.connections() if watch is not None else set()
    client = simple_websocket.Client.connect(
        f"{live.ws_url}/ws?{urlencode(query)}",
        headers=headers,
        subprotocols=socket_protocols(token),
    )
    if watch is not None:
        _wait_until_caught_up(client, watch, before)
    return client


def _wait_until_caught_up(client, watch, before: set, timeout: float = 10.0) -> None:
    """Return once the server has subscribed the new socket and caught it up.

    The handshake is answered before the server's side subscribes; a socket that names
    no positions starts from "now", so a message sent by the test in between was neither
    pushed nor replayed to it (under a loaded suite, tests waited for it in vain). A page
    names its positions (its cursors); a test waits here instead. A refused socket is
    closed by the server and never served: the wait ends when it closes.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and client.connected:
        if any(not c.busy.locked() for c in watch.connections() - before):
            return
        time.sleep(0.005)


def socket_protocols(token: str | None) -> list[str]:
    """The subprotocols a page offers: "sidetalk", and its token beside it."""
    protocols = [htmx_support.SOCKET_PROTOCOL]
    if token:
        protocols.append(htmx_support.SOCKET_TOKEN_PREFIX + token)
    return protocols


def frames_until(client, predicate, timeout: float = 5.0) -> list[str]:
    """Read frames until ``predicate(frame)``; return every frame read, the match last."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = client.receive(timeout=max(0.01, deadline - time.monotonic()))
        if frame is None:
            continue
        seen.append(frame)
        if predicate(frame):
            return seen
    raise AssertionError(f"no matching frame within {timeout}s; got {len(seen)}: {seen[-3:]}")


def no_frame(client, timeout: float = 0.5) -> None:
    frame = client.receive(timeout=timeout)
    assert frame is None, f"unexpected frame: {frame[:300]}"


def wait_closed(client, timeout: float = 5.0) -> tuple[int, str]:
    """Wait for the server to close; return its close code and reason."""
    deadline = time.monotonic() + timeout
    while client.connected and time.monotonic() < deadline:
        try:
            client.receive(timeout=0.1)
        except simple_websocket.ConnectionClosed:
            break
    assert not client.connected, "the server did not close the connection"
    if client.close_reason == CloseReason.NO_STATUS_RCVD:
        # simple_websocket's client handshake can read the server's accept and its close
        # frame in one recv() and handles only the accept; the close then waits unread in
        # wsproto while the reader thread sees the TCP end. Read it from there.
        for event in client.ws.events():
            if isinstance(event, CloseConnection):
                return event.code, event.reason
    return client.close_reason, client.close_message


def inbound(live: LiveServer, sender: str, to: str, text: str, kind: str = "SMS") -> dict:
    response = requests.post(
        f"{live.url}/sandbox/inbound",
        json={"from": sender, "to": to, "text": text, "type": kind},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def parse(frame: str) -> BeautifulSoup:
    return BeautifulSoup(frame, "html.parser")


def cursor_of(frame: str, channel: str) -> int | None:
    marker = parse(frame).find(
        attrs={"data-realtime-cursor": lambda v: v and v.startswith(channel + "@")}
    )
    return int(marker["data-realtime-cursor"].rpartition("@")[2]) if marker else None


@pytest.fixture
def demo(demo_app):
    """The seeded demo opened in a request context (frames build links with url_for)."""
    with demo_app.test_request_context():
        yield demo_app
        db.session.remove()


def ext(number: str) -> Extension:
    return db.session.scalar(select(Extension).where(Extension.extension_number == number))


def deliver(sender: str, to: str, text: str, kind: str = "SMS"):
    """Deliver an inbound message through the sandbox, as ``POST /sandbox/inbound`` does."""
    from widget.platforms.sandbox.delivery import deliver_inbound, parse_inbound

    return deliver_inbound(parse_inbound({"from": sender, "to": to, "text": text, "type": kind}))


def listen(app, extension: Extension):
    """Subscribe to ``extension``'s channel on the app's broker, as a socket would."""
    return app.extensions["realtime"].subscribe([f"ext:{extension.id}"])


def make_live_app(tmp_path, demo_template, **overrides):
    """An app on a private copy of the demo, with config overrides (e.g. ``REDIS_URL``)."""
    from tests.conftest import make_app

    shutil.copy(demo_template / "demo.db", tmp_path / "test.db")
    shutil.copytree(demo_template / "media", tmp_path / "media")
    return make_app(f"sqlite:///{tmp_path / 'test.db'}", tmp_path, **overrides)


@pytest.fixture
def redis_demo_app(tmp_path, demo_template, redis_url):
    """The demo with the Redis broker, on its own channel prefix (pub/sub ignores db numbers)."""
    app = make_live_app(
        tmp_path,
        demo_template,
        REDIS_URL=redis_url,
        REALTIME_CHANNEL_PREFIX=f"sidetalk-test-{uuid.uuid4().hex[:8]}:",
    )
    yield app
    app.extensions["realtime"].stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def alice_on_redis(redis_demo_app) -> Person:
    return person(redis_demo_app, "101")
