"""Where CRM matches are kept between lookups: this process, or Redis for every process.

Two stores with one interface. ``LocalMatchStore`` is a dict in this process (the
default). ``RedisMatchStore`` (when ``REDIS_URL`` is set) shares answers between every
web and worker process, so a number looked up by the Log panel in one process is not
looked up again by auto-log in another; it keeps no copy in the process, so forgetting
(a new contact, a reconnect) takes effect everywhere at once.

Both also settle who looks a number up when several ask at the same moment
(single-flight): ``flight(key)`` is a lock per key, held across processes in Redis, so
a burst that finds the cache empty still costs one lookup. Records travel as JSON.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Any, Protocol

import redis

from connectors.records import MatchedRecord

log = logging.getLogger(__name__)

MAX_LOCAL_ENTRIES = 10_000
_DATES = ("updated_at", "created_at")


def to_json(records: list[MatchedRecord]) -> str:
    """Return the records as JSON (datetimes as ISO 8601)."""
    items = []
    for record in records:
        item = asdict(record)
        for name in _DATES:
            item[name] = item[name].isoformat() if item[name] else None
        items.append(item)
    return json.dumps(items)


def from_json(text: str | bytes) -> list[MatchedRecord]:
    """Return the records of ``to_json``."""
    records = []
    for item in json.loads(text):
        for name in _DATES:
            item[name] = datetime.fromisoformat(item[name]) if item[name] else None
        records.append(MatchedRecord(**item))
    return records


class MatchStore(Protocol):
    def get(self, key: str) -> list[MatchedRecord] | None: ...
    def put(self, key: str, records: list[MatchedRecord], ttl: float) -> None: ...
    def forget(self, pattern: str) -> None: ...
    def clear(self) -> None: ...
    def flight(self, key: str, wait_seconds: float) -> Any: ...


class _KeyLocks:
    """One lock per key in this process, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users <= 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


class LocalMatchStore:
    """Matches in this process's memory (copies in and out, via JSON)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, str]] = {}
        self._flights = _KeyLocks()

    def get(self, key: str) -> list[MatchedRecord] | None:
        with self._lock:
            hit = self._entries.get(key)
        if hit is None or hit[0] <= time.time():
            return None
        return from_json(hit[1])

    def put(self, key: str, records: list[MatchedRecord], ttl: float) -> None:
        now = time.time()
        with self._lock:
            if len(self._entries) >= MAX_LOCAL_ENTRIES:
                for stale in [k for k, (expires, _) in self._entries.items() if expires <= now]:
                    del self._entries[stale]
                if len(self._entries) >= MAX_LOCAL_ENTRIES:
                    self._entries.clear()
            self._entries[key] = (now + ttl, to_json(records))

    def forget(self, pattern: str) -> None:
        """Drop the keys matching a glob ``pattern`` ("12:*")."""
        with self._lock:
            for key in [k for k in self._entries if fnmatch.fnmatchcase(k, pattern)]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def flight(self, key: str, wait_seconds: float):
        return self._flights.hold(key)


class RedisMatchStore:
    """Matches in Redis under ``prefix``, shared by every process; flights are Redis locks.

    A process that finds another one's lock waits for that lookup's answer (polling, at
    most ``wait_seconds``), then looks up itself if none came (the other failed or died).
    """

    POLL_SECONDS = 0.02

    def __init__(self, url: str, prefix: str) -> None:
        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self.prefix = prefix
        self._flights = _KeyLocks()

    # Redis down is a cache miss, never a failed request: the CRM is asked instead.

    def get(self, key: str) -> list[MatchedRecord] | None:
        try:
            found = self.client.get(self.prefix + key)
        except redis.RedisError as exc:
            log.warning("CRM match cache unreachable (%s): asking the CRM", type(exc).__name__)
            return None
        return from_json(found) if found is not None else None

    def put(self, key: str, records: list[MatchedRecord], ttl: float) -> None:
        with contextlib.suppress(redis.RedisError):
            self.client.set(self.prefix + key, to_json(records), px=max(1, int(ttl * 1000)))

    def forget(self, pattern: str) -> None:
        """Drop the keys matching a glob ``pattern`` ("12:*"), in every process."""
        try:
            keys = list(self.client.scan_iter(match=f"{self.prefix}{pattern}", count=500))
            if keys:
                self.client.delete(*keys)
        except redis.RedisError as exc:
            # The entries expire by themselves (CRM_MATCH_CACHE_SECONDS).
            log.warning("CRM match cache unreachable (%s): not forgotten", type(exc).__name__)

    def clear(self) -> None:
        self.forget("*")

    @contextmanager
    def flight(self, key: str, wait_seconds: float) -> Iterator[None]:
        with self._flights.hold(key):  # one waiter per process, the others queue here
            lock_key = f"{self.prefix}{key}:lookup"
            token = uuid.uuid4().hex
            deadline = time.monotonic() + wait_seconds
            held = False
            while not held:
                try:
                    held = bool(
                        self.client.set(lock_key, token, nx=True, px=int(wait_seconds * 1000))
                    )
                    answered = not held and self.client.exists(self.prefix + key)
                except redis.RedisError:
                    break  # no shared lock without Redis: this process's lock must do
                if held or answered:
                    break  # ours to look up, or the other process's answer is in
                if time.monotonic() > deadline:
                    break  # the holder is stuck: look up rather than wait forever
                time.sleep(self.POLL_SECONDS)
            try:
                yield
            finally:
                if held:
                    # Release only our own lock (it may have expired and be another's now).
                    self._release(lock_key, token)

    def _release(self, lock_key: str, token: str) -> None:
        with contextlib.suppress(redis.RedisError):  # unreleased, it expires by itself
            self.client.eval(
                "if redis.call('get', KEYS[1]) == ARGV[1] then "
                "return redis.call('del', KEYS[1]) end return 0",
                1,
                lock_key,
                token,
            )
