"""Tombstones: records reduced to an id and an availability, how a sync reports a message
purged (or deleted) on the platform. They change a stored message's availability, by
the same compare-and-set and summary deltas as any other version; one never stored here
is nothing to change.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import update

from widget.access import mailbox_of
from widget.extensions import db
from widget.inbox.ingest import CAS_ATTEMPTS, IngestResult, _find, swapped_in
from widget.inbox.summary import SummaryDelta, counts_as_unread
from widget.models import Availability, Extension, Message
from widget.models.types import utcnow
from widget.platforms.records import RecordError, is_tombstone  # noqa: F401 - re-exported


def _availability_of(record: Mapping) -> Availability:
    if record.get("id") in (None, ""):
        raise RecordError("id is required")
    try:
        return Availability(record.get("availability"))
    except ValueError:
        raise RecordError(f"availability {record.get('availability')!r} is unknown") from None


def apply_availability(
    extension: Extension,
    record: Mapping,
    platform: str,
    deltas: dict[int, SummaryDelta] | None = None,
) -> IngestResult | None:
    """Apply a tombstone's availability to the stored message; None when there is none.

    With ``deltas`` the summary change is added there for the caller to apply.
    """
    availability = _availability_of(record)
    for _ in range(CAS_ATTEMPTS):
        existing = _find(platform, str(record["id"]))
        if existing is None:
            return None
        if not mailbox_of(extension).holds(existing):
            raise RecordError("the record belongs to another extension's mailbox")
        if existing.availability == availability:
            return IngestResult(message=existing, created=False, changed=False)
        values = {"availability": availability}
        if availability == Availability.DELETED:
            values["deleted_at"] = utcnow()
        elif availability == Availability.PURGED:
            values["purged_at"] = utcnow()
        table = Message.__table__
        swapped = db.session.execute(
            update(table)
            .where(table.c.id == existing.id, table.c.availability == existing.availability)
            .values(**values)
        )
        if swapped.rowcount != 1:
            continue  # changed meanwhile: read it again
        return swapped_in(existing, values, _delta(existing, availability), deltas)
    raise RuntimeError(f"message {record['id']} kept changing while being stored")


def _delta(message: Message, availability: Availability) -> SummaryDelta:
    was_alive = message.availability == Availability.ALIVE
    alive = availability == Availability.ALIVE
    delta = SummaryDelta(
        alive=int(alive) - int(was_alive),
        unread=int(counts_as_unread(message.direction, message.read_status, availability))
        - int(counts_as_unread(message.direction, message.read_status, message.availability)),
        latest_may_go=was_alive and not alive,
    )
    if alive and not was_alive:
        delta.latest_may_go = True  # a restored message may be the latest again
    return delta
