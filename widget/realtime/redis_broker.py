"""Redis pub/sub broker: every process hears every event; one listener thread per process.

The listener pattern-subscribes to the whole channel prefix once, so connections
coming and going never touch Redis; it hands each message to the process's
``LocalHub``. When Redis goes away the process keeps serving HTTP: publishing logs a
warning (the event is already in the database log), the listener retries with
exponential backoff, and once it is back every local connection re-reads the event
log, so whatever was published during the outage still reaches the clients.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import threading

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from widget.realtime.broker import Broker, Delivery

log = logging.getLogger(__name__)

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0


def redacted(url: str) -> str:
    """``url`` without its password, for logs."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rpartition('@')[2]}"


class RedisBroker(Broker):
    def __init__(self, url: str, prefix: str = "sidetalk:", poll_seconds: float = 1.0) -> None:
        super().__init__()
        self.url = url
        self.prefix = prefix
        self.poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._pid = os.getpid()
        self._publish_failing = False
        self.connected = threading.Event()  # set while the listener is subscribed
        self._client = self._new_client()

    @property
    def client_name(self) -> str:
        """How the listener's connection is named in ``CLIENT LIST`` (operators, tests)."""
        return f"sidetalk-listener-{os.getpid()}-{self.prefix.rstrip(':')}"

    def _new_client(self, name: str | None = None) -> redis.Redis:
        # No silent retries inside redis-py: a reconnect must go through our loop, which
        # knows that messages may have been missed and makes connections catch up.
        return redis.Redis.from_url(
            self.url,
            client_name=name,
            socket_connect_timeout=2,
            socket_timeout=5,
            health_check_interval=15,
            socket_keepalive=True,
            retry=Retry(NoBackoff(), 0),
        )

    def start(self) -> None:
        with self._lock:
            if self._pid != os.getpid():
                # Forked (gunicorn --preload): threads and sockets do not survive a fork.
                self._pid = os.getpid()
                self._thread = None
                self._client = self._new_client()
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping.clear()
            self._thread = threading.Thread(
                target=self._listen, name="sidetalk-redis-listener", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=self.poll_seconds + 6)
        self._thread = None

    def publish(self, delivery: Delivery) -> None:
        self.start()
        try:
            self._client.publish(self.prefix + delivery.channel, json.dumps(delivery.to_json()))
        except (redis.RedisError, OSError) as exc:
            if not self._publish_failing:
                log.warning("Redis publish failed (%s): %s", redacted(self.url), exc)
            self._publish_failing = True
            # This process's own connections still get it now; others catch up from the
            # event log when the listener is back.
            self.hub.dispatch(delivery)
            return
        if self._publish_failing:
            log.info("Redis publish works again (%s)", redacted(self.url))
        self._publish_failing = False

    def _listen(self) -> None:
        attempt = 0
        while not self._stopping.is_set():
            pubsub = None
            try:
                pubsub = self._new_client(self.client_name).pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(self.prefix + "*")
                self.connected.set()
                if attempt:
                    log.info("Redis listener reconnected (%s)", redacted(self.url))
                # Whatever was published before this subscription took effect (an outage,
                # or the first moments of the process) is in the event log: re-read it.
                self.hub.resync_all()
                attempt = 0
                while not self._stopping.is_set():
                    message = pubsub.get_message(timeout=self.poll_seconds)
                    if message is not None:
                        self._dispatch(message)
            except (redis.RedisError, OSError) as exc:
                self.connected.clear()
                attempt += 1
                delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (attempt - 1))
                delay *= 0.5 + random.random() / 2  # jitter: processes do not reconnect in step
                log.warning(
                    "Redis listener lost (%s): %s; retrying in %.1fs",
                    redacted(self.url),
                    exc,
                    delay,
                )
                self._stopping.wait(delay)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(redis.RedisError, OSError):
                        pubsub.close()
        self.connected.clear()

    def _dispatch(self, message: dict) -> None:
        if message.get("type") != "pmessage":
            return
        try:
            delivery = Delivery.from_json(json.loads(message["data"]))
        except (ValueError, TypeError) as exc:
            log.warning("ignored a malformed broker message: %s", exc)
            return
        if (self.prefix + delivery.channel).encode() != message.get("channel"):
            log.warning("ignored a broker message whose channel does not match its body")
            return
        self.hub.dispatch(delivery)
