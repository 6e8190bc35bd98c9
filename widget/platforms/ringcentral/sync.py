"""Message sync: FSync from nothing (older pages while they exist), then ISync with the token.

Pages go to the event sink in one call (``records_changed``), so ingestion sees them as
one batch. During an FSync the next older page is fetched while the current one is
ingested (``prefetch.PagesAhead``), and the pages already fetched when ingestion is
ready go together (up to ``BATCH_RECORDS``). An ISync whose token RingCentral no longer
knows (CMN-101, MSG-333, MSG-411) starts over with an FSync: ingestion is idempotent,
so records seen before change nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from widget.extensions import db
from widget.models import Extension, PlatformLink
from widget.models.types import utcnow
from widget.platforms.base import EventSink, SyncPage, SyncType
from widget.platforms.records import RecordError, parse_time, parse_unless_tombstone
from widget.platforms.ringcentral.client import MINE, ApiRefused
from widget.platforms.ringcentral.prefetch import Fetched, PagesAhead

log = logging.getLogger(__name__)

PAGE_SIZE = 250  # FSync's largest recordCount
RESTART_CODES = frozenset({"CMN-101", "MSG-333", "MSG-411"})
MAX_OLDER_PAGES = 400  # 100,000 messages per first sync, then the next run goes on
PAGES_AHEAD = 4  # older pages fetched ahead of ingestion at most (prefetch.py)
# Pages already fetched are ingested together up to this many records: fewer, larger
# batches when ingestion is slower than RingCentral's round trip.
BATCH_RECORDS = 1000

Get = Callable[[str, dict | None], dict]


def fetch_page(get: Get, sync_token: str | None, date_to: str | None = None) -> SyncPage:
    """One ``GET .../message-sync``: FSync without a token (before ``date_to``), else ISync."""
    if sync_token is None:
        params = {"syncType": "FSync", "recordCount": PAGE_SIZE}
        if date_to:
            params["dateTo"] = date_to
    else:
        params = {"syncType": "ISync", "syncToken": sync_token}
    body = get(f"{MINE}/message-sync", params)
    info = body.get("syncInfo") or {}
    return SyncPage(
        sync_type=SyncType(info.get("syncType") or params["syncType"]),
        records=tuple(r for r in body.get("records") or [] if isinstance(r, Mapping)),
        sync_token=str(info.get("syncToken") or ""),
        older_records_exist=bool(info.get("olderRecordsExist")),
    )


def _link_state(extension_id: int) -> tuple[str | None, str | None]:
    with Session(db.engine) as session:
        link = session.scalar(select(PlatformLink).where(PlatformLink.extension_id == extension_id))
        return (link.sync_token, link.older_before) if link else (None, None)


def _save(extension_id: int, **values) -> None:
    with Session(db.engine) as session:
        session.execute(
            update(PlatformLink).where(PlatformLink.extension_id == extension_id).values(**values)
        )
        session.commit()


def _oldest(records) -> str | None:
    times = [r.get("creationTime") for r in records if isinstance(r.get("creationTime"), str)]
    return min(times) if times else None


def _older_cursor(records, previous: str | None = None) -> str | None:
    """Return the ``dateTo`` of the next older page: just after the oldest record seen.

    ``dateTo`` is exclusive and times have millisecond precision, so records sharing the
    oldest millisecond would be skipped by ``dateTo=oldest``; one millisecond later keeps
    them (ingestion takes the repeats idempotently). Only when a whole page shares one
    millisecond (no progress) does the cursor step past it.
    """
    oldest = _oldest(records)
    if oldest is None:
        return None
    try:
        after = parse_time(oldest, "creationTime") + timedelta(milliseconds=1)
    except RecordError:
        return oldest
    cursor = after.strftime("%Y-%m-%dT%H:%M:%S.") + f"{after.microsecond // 1000:03d}Z"
    return oldest if cursor == previous else cursor


def synchronize(get: Get, sink: EventSink, extension: Extension) -> int:
    """Bring ``extension``'s mailbox up to date; return how many records were handed over."""
    sync_token, older_before = _link_state(extension.id)
    handed = 0
    if sync_token is not None:
        try:
            page = fetch_page(get, sync_token)
        except ApiRefused as exc:
            if exc.code not in RESTART_CODES:
                raise
            log.info("sync token of extension %s refused (%s): full sync", extension.id, exc.code)
            sync_token, older_before = None, None
        else:
            handed += _hand_over(sink, extension, page.records)
            _save(extension.id, sync_token=page.sync_token, synced_at=utcnow())
    first: SyncPage | None = None
    if sync_token is None:
        first = fetch_page(get, None)
        older_before = _older_cursor(first.records) if first.older_records_exist else None
    if older_before is None:
        if first is not None:
            handed += _hand_over(sink, extension, first.records)
            _save(extension.id, sync_token=first.sync_token, synced_at=utcnow(), older_before=None)
        return handed

    def older(cursor: str) -> Fetched[list, str]:
        """An older page, parsed here: the thread that fetches it parses it while the
        caller's thread ingests (and waits on the database) — not after."""
        page = fetch_page(get, None, date_to=cursor)
        following = _older_cursor(page.records, cursor) if page.older_records_exist else None
        return Fetched([parse_unless_tombstone(r) for r in page.records], following)

    # The next older page is on its way while this process ingests the one it has. The
    # first page goes with the first older ones, its token saved with them (the token of
    # the first page covers everything after it; older pages are history).
    pending = first
    with PagesAhead(older, older_before, limit=MAX_OLDER_PAGES, ahead=PAGES_AHEAD) as ahead:
        try:
            for batch in ahead.batches(BATCH_RECORDS, len):
                records = [record for fetched in batch for record in fetched.page]
                saved: dict = {"older_before": batch[-1].next_cursor}
                if pending is not None:
                    records[:0] = pending.records
                    saved.update(sync_token=pending.sync_token, synced_at=utcnow())
                handed += _hand_over(sink, extension, records)
                pending = None
                _save(extension.id, **saved)
        except Exception:
            if pending is not None:  # the first older page failed: keep the first page
                handed += _hand_over(sink, extension, pending.records)
                _save(
                    extension.id,
                    sync_token=pending.sync_token,
                    synced_at=utcnow(),
                    older_before=older_before,
                )
            raise
    return handed


def _hand_over(sink: EventSink, extension: Extension, records) -> int:
    if records:
        sink.records_changed(extension, records)  # one batch: a few statements, one commit
    return len(records)
