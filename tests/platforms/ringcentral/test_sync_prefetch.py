"""FSync fetches the next older page while ingesting the current one (``prefetch.py``).

The prefetch must keep the chain's order, never run more than its bound ahead, keep
RingCentral's rate-limit rules and stop at the first error: the pages before it are
stored, the cursor says where to go on, and no request follows the failed one.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from tests.platforms.ringcentral.helpers import message_rows, signed_in
from widget.extensions import db
from widget.models import Extension, PlatformLink
from widget.platforms.base import PlatformRateLimited, PlatformUnavailable
from widget.platforms.records import RecordError
from widget.platforms.ringcentral import sync
from widget.platforms.ringcentral.prefetch import Fetched, PagesAhead

SYNC_GET = "GET /restapi/v1.0/account/~/extension/~/message-sync"
START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def test_pages_come_in_order_and_never_more_than_the_bound_ahead(rc_server):
    fetched: list[int] = []
    taken: list[int] = []
    lock = threading.Lock()

    def fetch(n: int) -> Fetched[int, int]:
        with lock:
            # Bound: the batch being taken (3) + ``ahead`` waiting (2) + one being put.
            assert len(fetched) - len(taken) <= 6
            fetched.append(n)
        return Fetched(n, n + 1 if n < 20 else None)

    with rc_server.app.app_context(), PagesAhead(fetch, 1, limit=100, ahead=2) as ahead:
        for batch in ahead.batches(3, lambda page: 1):
            assert 1 <= len(batch) <= 3
            time.sleep(0.02)  # a slow ingestion: an unbounded fetcher would run far ahead
            with lock:
                taken.extend(f.page for f in batch)

    assert taken == list(range(1, 21)) == fetched


def test_an_error_ends_the_chain_after_the_pages_before_it(rc_server):
    calls: list[int] = []

    def fetch(n: int) -> Fetched[int, int]:
        calls.append(n)
        if n == 4:
            raise PlatformUnavailable("RingCentral answered 503.")
        return Fetched(n, n + 1)

    taken: list[int] = []
    with (
        rc_server.app.app_context(),
        PagesAhead(fetch, 1, limit=100, ahead=2) as ahead,
        pytest.raises(PlatformUnavailable),
    ):
        for batch in ahead.batches(10, lambda page: 1):
            taken.extend(f.page for f in batch)

    assert taken == [1, 2, 3]
    assert calls == [1, 2, 3, 4]  # nothing asked after the failure


def test_a_caller_that_stops_early_stops_the_fetching(rc_server):
    calls: list[int] = []

    def fetch(n: int) -> Fetched[int, int]:
        calls.append(n)
        return Fetched(n, n + 1)

    with (
        rc_server.app.app_context(),
        PagesAhead(fetch, 1, limit=1000, ahead=2) as ahead,
        pytest.raises(RuntimeError),
    ):
        for _ in ahead.batches(1, lambda page: 1):
            raise RuntimeError("ingestion failed")
    assert len(calls) <= 4  # the page handed out, two waiting, one blocked on the queue


def test_ahead_must_be_positive(rc_server):
    with rc_server.app.app_context(), pytest.raises(ValueError):
        PagesAhead(lambda n: Fetched(n, None), 1, limit=1, ahead=0)


def _history(fake, count: int) -> None:
    for n in range(count):
        when = START + timedelta(minutes=n)
        fake.inbound_sms(f"+1415555{n:04d}", f"history {n}", notify=False, when=when)


def _start_over(app) -> Extension:
    """Forget the sync state, as before a first sync (the mailbox is seeded after sign-in)."""
    db.session.execute(update(PlatformLink).values(sync_token=None, older_before=None))
    db.session.commit()
    return db.session.get(Extension, db.session.scalars(select(PlatformLink.extension_id)).one())


def test_fsync_stops_at_a_failed_page_keeps_what_came_before_and_goes_on_later(
    rc_server, monkeypatch
):
    monkeypatch.setattr(sync, "PAGE_SIZE", 5)
    fake = rc_server.fake
    signed_in(rc_server)  # an empty mailbox: one sync call
    _history(fake, 30)  # six pages of five
    calls_before = fake.call_count("GET", "/message-sync")
    fake.fail_next(SYNC_GET, 503, after=3)  # the fourth page's request fails
    with rc_server.app.app_context():
        extension = _start_over(rc_server.app)
        platform = rc_server.app.extensions["sidetalk.platform"]
        with pytest.raises(PlatformUnavailable):
            platform.synchronize(extension)
        cursor = db.session.scalars(select(PlatformLink.older_before)).one()

    assert fake.call_count("GET", "/message-sync") - calls_before == 4  # none after it
    stored = sorted(int(m.subject.split()[1]) for m in message_rows(rc_server.app))
    # The three newest pages (each older page starts with the oldest record of the page
    # before it: ``dateTo`` is one millisecond after it).
    assert stored == list(range(17, 30))
    assert cursor == "2026-11-01T09:17:00.001Z"

    with rc_server.app.app_context():
        extension = db.session.get(Extension, extension.id)
        rc_server.app.extensions["sidetalk.platform"].synchronize(extension)
        assert db.session.scalars(select(PlatformLink.older_before)).one() is None
    stored = sorted(int(m.subject.split()[1]) for m in message_rows(rc_server.app))
    assert stored == list(range(30))


def test_fsync_keeps_the_first_page_when_the_first_older_page_fails(rc_server, monkeypatch):
    monkeypatch.setattr(sync, "PAGE_SIZE", 5)
    fake = rc_server.fake
    signed_in(rc_server)
    _history(fake, 12)
    fake.fail_next(SYNC_GET, 503, after=1)
    with rc_server.app.app_context():
        extension = _start_over(rc_server.app)
        with pytest.raises(PlatformUnavailable):
            rc_server.app.extensions["sidetalk.platform"].synchronize(extension)
        link = db.session.scalars(select(PlatformLink)).one()
        assert link.sync_token  # the first page's token is kept for the next ISync
        assert link.older_before is not None
    stored = sorted(int(m.subject.split()[1]) for m in message_rows(rc_server.app))
    assert stored == list(range(7, 12))


def test_a_429_during_the_prefetch_blocks_the_group_and_nothing_more_is_asked(
    rc_server, monkeypatch
):
    monkeypatch.setattr(sync, "PAGE_SIZE", 5)
    fake = rc_server.fake
    signed_in(rc_server)
    _history(fake, 30)
    limited = {"errorCode": "CMN-301", "message": "Request rate exceeded", "errors": []}
    fake.fail_next(SYNC_GET, 429, body=limited, headers={"Retry-After": "30"}, after=2)
    calls_before = fake.call_count("GET", "/message-sync")
    with rc_server.app.app_context():
        extension = _start_over(rc_server.app)
        platform = rc_server.app.extensions["sidetalk.platform"]
        with pytest.raises(PlatformRateLimited):
            platform.synchronize(extension)
        assert fake.call_count("GET", "/message-sync") - calls_before == 3
        with pytest.raises(PlatformRateLimited) as waited:  # the Light group waits now
            platform.synchronize(db.session.get(Extension, extension.id))
    assert fake.call_count("GET", "/message-sync") - calls_before == 3  # not called
    assert 20 < waited.value.retry_after <= 30
    assert len(message_rows(rc_server.app)) == 9  # two pages, one record in both


def test_a_malformed_record_in_an_older_page_stops_the_sync_there(rc_server, monkeypatch):
    """Older pages are parsed where they are fetched: a bad record ends the chain like a
    failed request, after the pages before it were stored."""
    monkeypatch.setattr(sync, "PAGE_SIZE", 5)
    fake = rc_server.fake
    signed_in(rc_server)
    _history(fake, 30)
    with fake.lock:
        bad = min(fake.mailbox.messages.values(), key=lambda m: m.record["creationTime"])
        fake.mailbox.messages[bad.record["id"]].record["messageStatus"] = "Bogus"
    calls_before = fake.call_count("GET", "/message-sync")
    with rc_server.app.app_context():
        extension = _start_over(rc_server.app)
        with pytest.raises(RecordError, match="messageStatus"):
            rc_server.app.extensions["sidetalk.platform"].synchronize(extension)
    assert fake.call_count("GET", "/message-sync") - calls_before == 8  # the last page has it
    stored = sorted(int(m.subject.split()[1]) for m in message_rows(rc_server.app))
    assert stored == list(range(1, 30))  # every page before the bad one
