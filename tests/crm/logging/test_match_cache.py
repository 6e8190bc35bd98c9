"""The match cache: one CRM lookup per number however many ask at once, in this process
and, through Redis, across processes."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from connectors.errors import CrmRetryableError
from connectors.records import MatchedRecord
from tests.conftest import make_app
from widget.crm_logging import matching
from widget.crm_logging.match_cache import from_json, to_json

ROOT = Path(__file__).resolve().parents[3]
PHONE = "+14155550123"
EDNA = MatchedRecord(
    "003A",
    "Edna Frank",
    "Contact",
    "(415) 555-0123",
    {"relatedTo": [{"const": "001B", "title": "Account: GenePoint"}]},
    datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
    None,
    "https://example.my.salesforce.com/lightning/r/Contact/003A/view",
)


class CountingLookup:
    """A CRM lookup that takes a while and counts how often it ran."""

    def __init__(self, seconds: float = 0.3, fail_first: bool = False) -> None:
        self.seconds = seconds
        self.calls = 0
        self.fail_first = fail_first
        self._lock = threading.Lock()

    def __call__(self) -> list[MatchedRecord]:
        with self._lock:
            self.calls += 1
            failing = self.fail_first and self.calls == 1
        time.sleep(self.seconds)
        if failing:
            raise CrmRetryableError("Salesforce did not answer")
        return [EDNA]


def _ask_at_once(app, lookup, callers: int = 8) -> list[list[MatchedRecord] | BaseException]:
    results: list[list[MatchedRecord] | BaseException] = []
    start = threading.Barrier(callers)

    def ask() -> None:
        with app.app_context():
            start.wait()
            try:
                results.append(matching.cached_matches(1, "salesforce", PHONE, lookup))
            except BaseException as exc:  # reported in results
                results.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


def test_records_survive_the_json_round_trip() -> None:
    assert from_json(to_json([EDNA])) == [EDNA]


def test_concurrent_lookups_of_one_number_are_one_crm_lookup(app) -> None:
    lookup = CountingLookup()
    results = _ask_at_once(app, lookup)
    assert lookup.calls == 1
    assert results == [[EDNA]] * 8


def test_other_numbers_are_not_held_up(app) -> None:
    # Held up, the other number would wait out the slow lookup's 4 s; the bound leaves a
    # busy CI machine room.
    slow = CountingLookup(seconds=4.0)
    with app.app_context():
        thread = threading.Thread(
            target=lambda: (
                app.app_context().push() or matching.cached_matches(1, "salesforce", PHONE, slow)
            )
        )
        thread.start()
        time.sleep(0.1)
        started = time.monotonic()
        other = matching.cached_matches(1, "salesforce", "+14155550999", CountingLookup(0))
        assert time.monotonic() - started < 2.0
        assert other == [EDNA]
        thread.join(8)


def test_a_failed_lookup_is_not_cached_and_a_waiter_asks_again(app) -> None:
    lookup = CountingLookup(fail_first=True)
    results = _ask_at_once(app, lookup, callers=3)
    failures = [r for r in results if isinstance(r, CrmRetryableError)]
    assert len(failures) == 1 and results.count([EDNA]) == 2
    assert lookup.calls == 2  # the failure, then one lookup for the two who waited


def test_forget_one_number_or_a_whole_connection(app) -> None:
    with app.app_context():
        for phone in (PHONE, "+14155550999"):
            matching.cached_matches(1, "salesforce", phone, CountingLookup(0))
        matching.cached_matches(2, "salesforce", PHONE, CountingLookup(0))
        matching.forget(1, PHONE)
        again = CountingLookup(0)
        matching.cached_matches(1, "salesforce", PHONE, again)
        matching.cached_matches(1, "salesforce", "+14155550999", again)
        matching.cached_matches(2, "salesforce", PHONE, again)
        assert again.calls == 1  # only the forgotten number
        matching.forget(1)
        matching.cached_matches(1, "salesforce", "+14155550999", again)
        matching.cached_matches(2, "salesforce", PHONE, again)
        assert again.calls == 2


def test_redis_down_is_a_cache_miss_not_a_failure(tmp_path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = make_app(
        f"sqlite:///{tmp_path / 'down.db'}", tmp_path, REDIS_URL=f"redis://127.0.0.1:{port}/0"
    )
    lookup = CountingLookup(0)
    with app.app_context():
        assert matching.cached_matches(1, "salesforce", PHONE, lookup) == [EDNA]
        assert matching.cached_matches(1, "salesforce", PHONE, lookup) == [EDNA]
        matching.forget(1, PHONE)
    assert lookup.calls == 2  # nothing cached without Redis, but every answer given


# -- across processes, through Redis --------------------------------------------------------------

_CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
import redis
from pathlib import Path
from tests.conftest import make_app
from tests.crm.logging.test_match_cache import EDNA, PHONE
from widget.crm_logging import matching
from widget.crm_logging.match_cache import to_json

app = make_app({db!r}, Path({tmp!r}), REDIS_URL={url!r}, CRM_MATCH_CACHE_PREFIX={prefix!r})
counter = redis.Redis.from_url({url!r})

def lookup():
    counter.incr({prefix!r} + "lookups")
    time.sleep(0.5)
    return [EDNA]

with app.app_context():
    counter.incr({prefix!r} + "ready")
    while int(counter.get({prefix!r} + "ready")) < {children}:
        time.sleep(0.01)
    print(to_json(matching.cached_matches(7, "salesforce", PHONE, lookup)))
"""


@pytest.fixture
def shared_prefix(redis_url):
    prefix = f"sidetalk-test:{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)


def _children(tmp_path, redis_url, prefix, count: int) -> list[subprocess.Popen]:
    code = _CHILD.format(
        root=str(ROOT),
        db=f"sqlite:///{tmp_path / 'shared.db'}",
        tmp=str(tmp_path),
        url=redis_url,
        prefix=prefix,
        children=count,
    )
    return [
        subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(count)
    ]


@pytest.mark.redis
def test_processes_share_one_lookup_through_redis(tmp_path, redis_url, shared_prefix) -> None:
    children = _children(tmp_path, redis_url, shared_prefix, 3)
    outputs = [child.communicate(timeout=60)[0] for child in children]
    assert [child.returncode for child in children] == [0, 0, 0]
    assert [from_json(out.strip().splitlines()[-1]) for out in outputs] == [[EDNA]] * 3
    counter = redis.Redis.from_url(redis_url)
    assert int(counter.get(shared_prefix + "lookups")) == 1
    # And this process (another app on the same Redis) finds the answer without a lookup.
    app = make_app(
        f"sqlite:///{tmp_path / 'shared.db'}",
        tmp_path,
        REDIS_URL=redis_url,
        CRM_MATCH_CACHE_PREFIX=shared_prefix,
    )
    never = CountingLookup(0)
    with app.app_context():
        assert matching.cached_matches(7, "salesforce", PHONE, never) == [EDNA]
        assert never.calls == 0
        matching.forget(7, PHONE)  # e.g. a contact created here: gone for every process
    assert counter.get(shared_prefix + f"7:salesforce:{PHONE}") is None
