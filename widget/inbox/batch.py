"""Batch ingestion: a page of records (a sync page, a burst of webhooks) in a few statements.

``ingest_page`` does what ``ingest_record`` does for each record of a page, with
statements per page instead of per record: one ``SELECT`` of the page's stored
messages, one multi-row conversation upsert carrying every conversation's summary
delta, multi-row inserts of the new messages and their parts, a compare-and-set
``UPDATE`` per newer version of a stored message, and one executemany adjusting the
summaries those versions changed. The caller commits once.

Versions: within the page, the newest ``lastModifiedTime`` of each id is the one
ingested (duplicates inside a page are one record); against the database, a version
lands only if it is newer than the stored one, by the same compare-and-set as the
single path, so pages arriving twice, out of order or at once in two processes leave
the newest version stored and the summaries exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from widget.access import mailbox_of
from widget.extensions import db
from widget.inbox.ingest import IngestResult, _update_existing, ingest_record, send_ingested
from widget.inbox.record_rows import (
    attachment_rows,
    conversation_values,
    message_values,
    new_message_delta,
)
from widget.inbox.summary import (
    SummaryDelta,
    apply_deltas,
    conversation_row,
    upsert_page_statement,
    upsert_statement,
)
from widget.inbox.tombstones import apply_availability, is_tombstone
from widget.models import Attachment, Conversation, Extension, Message, MessageType
from widget.models.queries import (
    dialect_insert,
    dialect_name,
    one_of,
    recordset_insert,
    recordset_page,
)
from widget.platforms.records import ParsedRecord, RecordError, parse_record


def newest_versions(records: Iterable[Mapping | ParsedRecord]) -> dict[str, ParsedRecord]:
    """Parse ``records`` (``RecordError`` for the first bad one: nothing is stored) and
    keep the newest version of each id; of two equal versions the later one wins."""
    newest: dict[str, ParsedRecord] = {}
    for record in records:
        parsed = record if isinstance(record, ParsedRecord) else parse_record(record)
        kept = newest.get(parsed.id)
        if kept is None or parsed.last_modified_at >= kept.last_modified_at:
            newest[parsed.id] = parsed
    return newest


def _stored(platform: str, ids: list[str]) -> dict[str, Message]:
    if not ids:
        return {}
    statement = select(Message).where(
        Message.platform == platform,
        one_of(Message.platform_message_id, "ids", dialect_name()),
    )
    rows = db.session.scalars(
        statement, {"ids": ids}, execution_options={"populate_existing": True}
    )
    return {m.platform_message_id: m for m in rows}


def _upsert_conversations(
    extension: Extension, fresh: list[ParsedRecord]
) -> dict[str, Conversation]:
    """Find or create the conversation of every new record, moving each summary by what
    its new records bring, in one statement; return the conversation of each record id."""
    by_key: dict[tuple, tuple[dict, SummaryDelta, tuple]] = {}
    key_of: dict[str, tuple] = {}
    for parsed in fresh:
        values = conversation_values(extension, parsed)
        key = (values["channel"], values["participants"])
        key_of[parsed.id] = key
        _, delta, fallback = by_key.setdefault(
            key, (values, SummaryDelta(), (parsed.created_at, parsed.type, parsed.direction))
        )
        delta.merge(new_message_delta(parsed))
    items = sorted(by_key.items())  # one lock order for every writer: no deadlocks
    rows = [conversation_row(values, delta, fallback) for _, (values, delta, fallback) in items]
    options = {"populate_existing": True}
    if dialect_name() == "postgresql":
        names, page = recordset_page(Conversation.__table__, rows)
        statement = select(Conversation).from_statement(upsert_page_statement(names))
        upserted = db.session.scalars(statement, page, execution_options=options)
    else:
        # One cached statement; the driver sends the rows in multi-row batches.
        upserted = db.session.scalars(upsert_statement(), rows, execution_options=options)
    found = {(c.channel, c.participants): c for c in upserted}
    return {pid: found[key] for pid, key in key_of.items()}


def _insert_messages(
    extension: Extension,
    platform: str,
    fresh: list[ParsedRecord],
    conversations: dict[str, Conversation],
    content: Mapping[str, bytes],
) -> dict[str, Message]:
    """Insert the new messages and their parts; return those inserted, by platform id
    (a record another writer stored meanwhile is missing from the answer)."""
    inserted: dict[str, Message] = {}
    parts: list[dict] = []
    by_id = {p.id: p for p in fresh}
    rows = [message_values(extension, conversations[p.id].id, p, platform, content) for p in fresh]
    conflict = ("platform", "platform_message_id")
    if dialect_name() == "postgresql":
        names, page = recordset_page(Message.__table__, rows)
        insert = recordset_insert(Message.__table__, names, conflict)
        found = db.session.scalars(
            select(Message).from_statement(insert),
            page,
            execution_options={"populate_existing": True},
        )
    else:
        # One cached statement; the driver sends the rows in multi-row batches.
        insert = dialect_insert(Message).on_conflict_do_nothing(index_elements=conflict)
        found = db.session.scalars(
            insert.returning(Message), rows, execution_options={"populate_existing": True}
        )
    for message in found:
        inserted[message.platform_message_id] = message
        parsed = by_id[message.platform_message_id]
        parts.extend({**row, "message_id": message.id} for row in attachment_rows(parsed, content))
    if parts:
        db.session.execute(dialect_insert(Attachment.__table__), parts)
    return inserted


def ingest_page(
    extension: Extension,
    records: Iterable[Mapping | ParsedRecord],
    platform: str,
    content: Mapping[str, bytes] | None = None,
) -> dict[str, IngestResult]:
    """Ingest a page of ``extension``'s records; the caller commits. Returns the result
    of each record id of the page (several records with one id share one result)."""
    content = content or {}
    records = list(records)
    tombstones = [r for r in records if is_tombstone(r)]
    newest = newest_versions(r for r in records if not is_tombstone(r))
    stored = _stored(platform, list(newest))
    mailbox = mailbox_of(extension)
    for message in stored.values():
        if not mailbox.holds(message):
            raise RecordError("the record belongs to another extension's mailbox")
    results: dict[str, IngestResult] = {}
    # Pager groups are found by the platform's conversation id first: rare, one by one.
    grouped = [
        p
        for p in newest.values()
        if p.id not in stored and p.type == MessageType.PAGER and p.conversation_id
    ]
    for parsed in grouped:
        results[parsed.id] = ingest_record(extension, parsed, platform, content)
    fresh = [p for p in newest.values() if p.id not in stored and p.id not in results]
    if fresh:
        conversations = _upsert_conversations(extension, fresh)
        inserted = _insert_messages(extension, platform, fresh, conversations, content)
        lost = [p for p in fresh if p.id not in inserted]
        if lost:
            # Stored by another writer between our SELECT and INSERT: take their deltas
            # back; they are versions of stored messages now (below).
            undo: dict[int, SummaryDelta] = {}
            for parsed in lost:
                record_delta = new_message_delta(parsed)
                delta = undo.setdefault(conversations[parsed.id].id, SummaryDelta())
                delta.alive -= record_delta.alive
                delta.unread -= record_delta.unread
                delta.latest_may_go = True
            apply_deltas(undo)
        for parsed_id, message in inserted.items():
            set_committed_value(message, "conversation", conversations[parsed_id])
            results[parsed_id] = IngestResult(message=message, created=True, changed=True)
        send_ingested(extension, list(inserted.values()))
    deltas: dict[int, SummaryDelta] = {}
    for parsed in newest.values():
        if parsed.id in results:
            continue
        result = _update_existing(extension, parsed, platform, stored.get(parsed.id), deltas)
        if result is None:
            raise RuntimeError(f"message {parsed.id} was refused, yet is not stored")
        results[parsed.id] = result
    for tombstone in tombstones:  # rare: a purge reported by a sync, one by one
        changed = apply_availability(extension, tombstone, platform, deltas)
        if changed is not None:
            results[str(tombstone["id"])] = changed
    apply_deltas(deltas)
    return results
