"""Platform notifications and records in, messages out: what webhooks and platforms share.

Webhooks hand ``handle_instant_event`` a notification; a platform hands records to the
``IngestionSink`` the application built it with. Both ingest, commit, then announce.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from widget.extensions import db
from widget.inbox.announce import announce_staged, discard_announcements, send_announcements
from widget.inbox.batch import ingest_page
from widget.inbox.ingest import IngestResult, ingest_record
from widget.inbox.tombstones import apply_availability, is_tombstone
from widget.models import Account, Extension, Message
from widget.platforms.records import ParsedRecord, RecordError, parse_instant_event

T = TypeVar("T")


def find_extension(platform: str, platform_extension_id: str) -> Extension:
    """Return the extension a platform id names; ``RecordError`` when it is not ours."""
    # Its numbers and account come in the same statement: ingestion needs both.
    extension = (
        db.session.scalars(
            select(Extension)
            .join(Account)
            .where(
                Account.platform == platform,
                Extension.platform_extension_id == platform_extension_id,
            )
            .options(joinedload(Extension.phone_numbers), contains_eager(Extension.account))
        )
        .unique()
        .one_or_none()
    )
    if extension is None:
        raise RecordError(f"no extension {platform_extension_id!r} on platform {platform!r}")
    return extension


def handle_instant_event(
    platform: str, event: Mapping, content: Mapping[str, bytes] | None = None
) -> IngestResult:
    """Ingest the record of an instant-message notification, commit, then announce it."""
    instant = parse_instant_event(event)
    extension = find_extension(platform, instant.owner_extension_id)
    return _ingest_and_announce(extension, platform, [instant.record], content)[0]


def _ingest_and_announce(
    extension: Extension,
    platform: str,
    records: Iterable[Mapping],
    content: Mapping[str, bytes] | None = None,
) -> list[IngestResult]:
    """Ingest ``records`` one by one in one transaction, commit, then announce."""

    def ingest() -> list[IngestResult]:
        results = []
        for record in records:
            if is_tombstone(record):
                result = apply_availability(extension, record, platform)
                if result is None:
                    continue  # never stored here: nothing to update
            else:
                result = ingest_record(extension, record, platform, content)
            if result.changed:
                reason = "created" if result.created else "updated"
                announce_staged(extension, [result.message], reason, result.read_along)
            results.append(result)
        return results

    return in_one_commit(ingest)


def in_one_commit(work: Callable[[], T]) -> T:
    """Run ``work`` (which ingests and announces), commit, then send the announcements;
    on any error roll back and forget them, so bad input changes nothing."""
    try:
        result = work()
        commit_keeping_state()
    except Exception:
        db.session.rollback()
        discard_announcements()
        raise
    send_announcements()
    return result


def commit_keeping_state() -> None:
    """Commit without expiring what the session holds.

    Ingestion wrote every value itself (or read it back with ``RETURNING``), so what the
    session holds is what was committed; expiring it would cost a ``SELECT`` per object
    for the receivers that run after the commit (auto-log, the push, the response).
    """
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


class IngestionSink:
    """The event sink the application gives its platform (``widget.platforms.EventSink``)."""

    def record_changed(
        self, extension: Extension, record: Mapping, content: Mapping[str, bytes] | None = None
    ) -> Message:
        """Ingest one record of ``extension``'s mailbox; return the stored message."""
        platform = extension.account.platform
        return _ingest_and_announce(extension, platform, [record], content)[0].message

    def records_changed(
        self,
        extension: Extension,
        records: Iterable[Mapping | ParsedRecord],
        content: Mapping[str, bytes] | None = None,
    ) -> list[Message]:
        """Ingest a page of records of ``extension``'s mailbox in one transaction (a few
        statements, one commit, one push); return the message of each record, in order.
        A record may come parsed already (``ParsedRecord``: a platform parsed it while
        the page before was being ingested)."""
        return ingest_page_and_announce(extension, extension.account.platform, records, content)


def ingest_page_and_announce(
    extension: Extension,
    platform: str,
    records: Iterable[Mapping | ParsedRecord],
    content: Mapping[str, bytes] | None = None,
) -> list[Message]:
    """Ingest a page with ``ingest_page``, commit, then announce; return each record's
    message in the page's order (a repeated record gives the same message again)."""
    records = list(records)

    def ingest() -> dict[str, IngestResult]:
        results = ingest_page(extension, records, platform, content)
        for created in (True, False):
            changed = [r.message for r in results.values() if r.changed and r.created == created]
            # One frame for the page: every affected conversation's row, counts once.
            announce_staged(extension, changed, "created" if created else "updated")
        return results

    results = in_one_commit(ingest)
    # A tombstone of a message never stored here has no result: nothing to return for it.
    ids = [r.id if isinstance(r, ParsedRecord) else str(r.get("id")) for r in records]
    return [results[i].message for i in ids if i in results]
