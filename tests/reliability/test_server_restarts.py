"""PostgreSQL restarted, and Redis stopped and started, while messages keep arriving.

Only private servers are stopped (``servers.PrivatePostgres``, the private
``redis-server`` of ``tests/realtime/test_processes.py``): tests run in parallel on the
shared ones. A sender posts numbered inbound messages the whole time and, as a webhook
sender does, posts again what was not accepted. After each outage: every message stored
exactly once, the server healthy again without a restart of its own, and a widget that
reconnects with its last position receives every message it missed.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import pytest
import requests
from sqlalchemy import select

from tests.conftest import make_app
from tests.realtime.conftest import connect, cursor_of, frames_until, person
from tests.realtime.test_processes import (  # noqa: F401
    free_port,
    private_redis,
    servers,
    start_serve_app,
)
from tests.reliability.servers import PrivatePostgres, wait_until
from widget.demo import seed_demo
from widget.extensions import db
from widget.models import Message

pytestmark = [pytest.mark.reliability, pytest.mark.processes]

JANE = "+14155550123"
ALICE_SMS = "+16505550101"


@dataclass
class Sender:
    """Posts ``inbound-N`` messages one after another, each again until accepted."""

    urls: list[str]
    prefix: str
    statuses: Counter = field(default_factory=Counter)
    accepted: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        number = 0
        while not self.stop.is_set():
            text = f"{self.prefix} {number}"
            url = self.urls[number % len(self.urls)]
            while not self._post(url, text):
                time.sleep(0.2)  # the sender's retry, as RingCentral retries a webhook
            self.accepted.append(text)
            number += 1
            time.sleep(0.05)

    def _post(self, url: str, text: str) -> bool:
        try:
            answer = requests.post(
                f"{url}/sandbox/inbound",
                json={"from": JANE, "to": ALICE_SMS, "text": text, "type": "SMS"},
                timeout=10,
            )
        except requests.RequestException:
            self.statuses["no answer"] += 1
            return False
        self.statuses[answer.status_code] += 1
        return answer.status_code == 201

    def __enter__(self) -> Sender:
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def wait_for(self, count: int, timeout: float = 60) -> None:
        wait_until(lambda: len(self.accepted) >= count, timeout, f"{count} messages accepted")

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), "the sender hung"


def _catch_up(app_url: str, ws_url: str, token: str, seen: int, texts: list[str]) -> None:
    """Reconnect as the widget does (its last position); every text must arrive."""

    @dataclass
    class Live:
        url: str
        ws_url: str

    client = connect(Live(app_url, ws_url), token, last_event_id=str(seen))
    frames: list[str] = []
    try:

        def complete(frame: str) -> bool:
            frames.append(frame)
            joined = "".join(frames)
            return all(f"{text}<" in joined for text in texts)

        frames_until(client, complete, timeout=30)
    finally:
        client.close()


@pytest.fixture
def private_postgres():
    server = PrivatePostgres(free_port())
    server.start()
    yield server
    server.close()


def test_postgres_restarted_during_traffic_loses_and_duplicates_nothing(private_postgres, tmp_path):
    app = make_app(private_postgres.url, tmp_path)
    with app.app_context():
        db.create_all()
        seed_demo()
        db.session.remove()
    alice = person(app, "101")
    server = start_serve_app(
        {
            "DATABASE_URL": private_postgres.url,
            "SIDETALK_MEDIA_DIR": app.config["MEDIA_DIR"],
            "SIDETALK_INSTANCE_PATH": str(tmp_path / "instance-server"),
            "REDIS_URL": "",
        },
        tmp_path / "server.log",
    )
    try:
        client = connect(server, alice.token)
        prefix = f"pg-{uuid.uuid4().hex[:6]}"
        with Sender([server.url], prefix) as sender:
            sender.wait_for(3)
            (frame, *_) = frames_until(client, lambda f: f"{prefix} 0<" in f, timeout=10)[-1:]
            seen = cursor_of(frame, f"ext:{alice.extension_id}")
            client.close()
            before = len(sender.accepted)
            private_postgres.stop()
            time.sleep(1.0)  # requests meet a dead database meanwhile
            private_postgres.start()
            sender.wait_for(before + 10)
        assert sender.statuses[201] == len(sender.accepted)
        # While it was down: a clear 503 (nothing changed, try again), never a 500.
        assert 503 in sender.statuses, sender.statuses
        assert set(sender.statuses) <= {201, 503, "no answer"}, sender.statuses
        assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200

        with app.app_context():
            stored = Counter(
                db.session.scalars(
                    select(Message.subject).where(Message.subject.like(f"{prefix} %"))
                )
            )
        assert stored == Counter(sender.accepted), "lost or duplicated messages"
        after_first = [text for text in sender.accepted if text != f"{prefix} 0"]
        _catch_up(server.url, server.ws_url, alice.token, seen, after_first)
    finally:
        server.kill()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_redis_stopped_and_restarted_during_traffic_loses_nothing(
    servers,  # noqa: F811
    private_redis,  # noqa: F811
    demo_app,
):
    alice = person(demo_app, "101")
    a, b = servers(private_redis.url), servers(private_redis.url)
    live_client = connect(a, alice.token)
    prefix = f"redis-{uuid.uuid4().hex[:6]}"
    try:
        with Sender([a.url, b.url], prefix) as sender:
            sender.wait_for(3)
            frames = frames_until(live_client, lambda f: f"{prefix} 0<" in f, timeout=10)
            seen = cursor_of(frames[-1], f"ext:{alice.extension_id}")
            before = len(sender.accepted)
            private_redis.stop()
            sender.wait_for(before + 10)  # HTTP keeps working without Redis
            during = len(sender.accepted)
            private_redis.start()
            sender.wait_for(during + 10)
        assert set(sender.statuses) == {201}, sender.statuses  # no request failed

        # The socket that stayed connected catches up once its listener is back ...
        wanted = sender.accepted[-1]
        frames_until(live_client, lambda f: f"{wanted}<" in f, timeout=30)
        # ... and a widget that reconnects with its position misses nothing.
        with demo_app.app_context():
            stored = Counter(
                db.session.scalars(
                    select(Message.subject).where(Message.subject.like(f"{prefix} %"))
                )
            )
            db.session.remove()
        assert stored == Counter(sender.accepted)
        _catch_up(b.url, b.ws_url, alice.token, seen, sender.accepted[1:])
    finally:
        live_client.close()
