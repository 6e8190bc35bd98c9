"""Fetching a chain of pages ahead of the one being ingested, in one thread, in order.

FSync's older pages form a chain: each ``dateTo`` comes from the page before it, so only
one request can be in flight at a time, and RingCentral's answer takes a round trip
during which the caller could ingest the page it already has. ``PagesAhead`` makes that
request in a thread while the caller ingests:

- bounded: at most ``ahead`` fetched pages wait (memory, and no call made long before
  its page is needed);
- in order: pages come out in the order they were fetched, one fetch at a time, each
  through the same client (the throttling groups' blocks and 429 rules apply unchanged);
- stops on errors: an error ends the chain; the caller receives it after the pages
  fetched before it, and no further request is made. A caller that stops early (its
  own error) stops the thread before the next request.

The thread runs in its own application context (its own database session), since the
calls read the user's tokens and the rate-limit blocks through the database.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import current_app

Cursor = TypeVar("Cursor")
Page = TypeVar("Page")

_POLL_SECONDS = 0.1  # how often a blocked put looks whether the caller stopped


@dataclass(frozen=True)
class Fetched(Generic[Page, Cursor]):
    """A fetched page and the cursor of the page after it (None: the chain ends)."""

    page: Page
    next_cursor: Cursor | None


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


class PagesAhead(Generic[Page, Cursor]):
    """Fetch pages from ``first`` on with ``fetch(cursor) -> Fetched`` in a thread."""

    def __init__(
        self,
        fetch: Callable[[Cursor], Fetched[Page, Cursor]],
        first: Cursor,
        limit: int,
        ahead: int = 2,
    ) -> None:
        if ahead < 1:
            raise ValueError("ahead must be at least 1")
        self._fetch = fetch
        self._first = first
        self._limit = limit
        self._ready: queue.Queue = queue.Queue(maxsize=ahead)
        self._stop = threading.Event()
        self._app = current_app._get_current_object()  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._run, name="ringcentral-pages", daemon=True)

    def __enter__(self) -> PagesAhead[Page, Cursor]:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        while self._thread.is_alive():  # let a put waiting on a full queue see the stop
            with contextlib.suppress(queue.Empty):
                self._ready.get_nowait()
            self._thread.join(timeout=_POLL_SECONDS)

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._ready.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        with self._app.app_context():
            cursor: Cursor | None = self._first
            fetched = 0
            while cursor is not None and fetched < self._limit and not self._stop.is_set():
                try:
                    result = self._fetch(cursor)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller, who raises it
                    self._put(_Failed(exc))
                    return
                fetched += 1
                if not self._put(result):
                    return
                cursor = result.next_cursor
            self._put(_DONE)

    def batches(self, max_records: int, size: Callable[[Page], int]) -> Iterator[list[Fetched]]:
        """Yield the fetched pages in order, each time every page already waiting (at
        least one, until ``max_records`` records): ingestion slower than the round trip
        takes bigger batches, a faster one takes each page as it comes. An error of the
        chain is raised after the pages fetched before it were yielded."""
        pending: object | None = None
        while True:
            item = pending if pending is not None else self._ready.get()
            pending = None
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            batch = [item]
            records = size(item.page)
            while records < max_records:
                try:
                    following = self._ready.get_nowait()
                except queue.Empty:
                    break
                if following is _DONE or isinstance(following, _Failed):
                    pending = following
                    break
                batch.append(following)
                records += size(following.page)
            yield batch
