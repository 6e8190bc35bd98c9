"""The message list and threads: filters, search, keyset pages, read state.

Every function takes the signed-in ``Extension`` (the actor) and returns only rows of
the mailboxes ``widget.access`` lets it read.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, and_, exists, func, or_, select, union_all
from sqlalchemy.sql.selectable import CTE

from widget.access import (
    Mailbox,
    actor_params,
    conversations_searchable_by,
    conversations_visible_to,
    messages_visible_to,
    queue_mailboxes_of,
)
from widget.contacts.service import addresses_matching, escape_like
from widget.errors import Invalid
from widget.extensions import db
from widget.inbox.announce import announce, commit_and_announce
from widget.inbox.ingest import refresh_conversation
from widget.inbox.search import text_condition
from widget.models import (
    Availability,
    Channel,
    Conversation,
    Direction,
    Extension,
    Message,
    PlatformUpdateKind,
    ReadStatus,
)
from widget.models.types import utcnow
from widget.platforms.outbox import record_update, send_recorded_updates

TABS = ("all", "text", "voicemail", "fax", "pager")
MAX_QUERY_LENGTH = 100


@dataclass(frozen=True)
class ListFilter:
    tab: str = "all"
    unread_only: bool = False
    query: str = ""
    deleted: bool = False  # the "Deleted" view: conversations with restorable messages

    @classmethod
    def from_args(cls, args) -> ListFilter:
        """Build a filter from request arguments; raise ``Invalid`` for unknown values."""
        tab = args.get("tab", "all") or "all"
        if tab not in TABS:
            raise Invalid(f"Unknown tab “{tab}”; choose one of {', '.join(TABS)}.", "tab")
        query = (args.get("q") or "").strip()
        if len(query) > MAX_QUERY_LENGTH:
            raise Invalid(f"Search text is limited to {MAX_QUERY_LENGTH} characters.", "q")
        unread = (args.get("unread") or "") in {"1", "true", "on"}
        deleted = (args.get("deleted") or "") in {"1", "true", "on"}
        return cls(tab=tab, unread_only=unread, query=query, deleted=deleted)


@dataclass(frozen=True)
class Page:
    rows: list[Conversation]
    next_cursor: str | None
    # A search reads the mailboxes of the actor's queues too: their rows are marked.
    queue_mailboxes: tuple[Mailbox, ...] = ()


def encode_cursor(moment: datetime, row_id: int) -> str:
    micros = int(moment.timestamp() * 1_000_000)
    return base64.urlsafe_b64encode(f"{micros}:{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Return the (time, id) position in ``cursor``; ``Invalid`` when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        micros, raw_id = base64.urlsafe_b64decode(padded.encode()).decode().split(":")
        moment = datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
        row_id = int(raw_id)
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError, OSError):
        # OverflowError/OSError: a time far outside the calendar the platform can represent.
        raise Invalid("The page position is not valid; reload the list.", "before") from None
    if not 0 < row_id < 2**63:  # not a row id; a larger one would overflow SQLite's driver
        raise Invalid("The page position is not valid; reload the list.", "before")
    return moment, row_id


def after_cursor(time_column, id_column, moment: datetime, row_id: int):
    """Rows strictly after (moment, row_id) in newest-first order.

    The redundant ``time <= moment`` bounds the index range on SQLite and PostgreSQL
    alike, so a deep page starts where the cursor is instead of scanning from the top.
    """
    return and_(
        time_column <= moment,
        or_(time_column < moment, id_column < row_id),
    )


def _search_condition(actor: Extension, query: str, queue_mailboxes: tuple[Mailbox, ...]):
    pattern = f"%{escape_like(query)}%"
    conditions = [Conversation.title.ilike(pattern, escape="\\")]
    # Message text and voicemail transcriptions, all history, through the index.
    conditions.append(text_condition(actor, query, queue_mailboxes))
    digits = "".join(ch for ch in query if ch.isdigit())
    if len(digits) >= 3:
        conditions.append(Conversation.participants.like(f"%{digits}%"))
    for address in sorted(addresses_matching(actor, query))[:50]:
        conditions.append(Conversation.participants.like(f"%,{escape_like(address)},%", "\\"))
    return or_(*conditions)


def list_conversations(
    actor: Extension, flt: ListFilter, before: str | None = None, limit: int = 30
) -> Page:
    """Return one page of the conversations ``actor`` may read, newest first, after ``before``.

    Keyset pagination on (last_message_at, id): the cost of a page does not depend on
    its depth, and rows arriving meanwhile never shift or repeat the next page.

    A search (not in the Deleted view: a queue's shared copy is never deleted by one
    member) also finds the conversations of the actor's queues.
    """
    alive = Conversation.availability == Availability.ALIVE
    queue_mailboxes = queue_mailboxes_of(actor) if flt.query and not flt.deleted else ()
    stmt = select(Conversation).where(
        conversations_searchable_by(actor, queue_mailboxes),
        _has_restorable_messages() if flt.deleted else alive,
    )
    if flt.tab != "all":
        stmt = stmt.where(Conversation.channel == Channel(flt.tab))
    if flt.unread_only:
        stmt = stmt.where(Conversation.unread_count > 0)
    if flt.query:
        stmt = stmt.where(_search_condition(actor, flt.query, queue_mailboxes))
    if before:
        moment, row_id = decode_cursor(before)
        stmt = stmt.where(
            after_cursor(Conversation.last_message_at, Conversation.id, moment, row_id)
        )
    stmt = stmt.order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].last_message_at, rows[-1].id)
    return Page(rows=rows, next_cursor=next_cursor, queue_mailboxes=queue_mailboxes)


def restorable_since() -> datetime:
    """Deleted messages deleted at or after this moment may still be restored."""
    return utcnow() - timedelta(days=current_app.config["DELETED_RETENTION_DAYS"])


def _has_restorable_messages():
    return exists().where(
        Message.conversation_id == Conversation.id,
        Message.availability == Availability.DELETED,
        Message.deleted_at >= restorable_since(),
    )


# Every push and every list runs it: built once, run with the actor's parameters.
def _counted_unread(columns) -> tuple[ColumnElement[bool], ...]:
    """A conversation (``columns``: the table's or a CTE's) counts in the tabs while
    it is alive and holds unread messages."""
    return columns.availability == Availability.ALIVE, columns.unread_count > 0


_UNREAD_BY_CHANNEL = (
    select(Conversation.channel, func.sum(Conversation.unread_count))
    .where(conversations_visible_to(), *_counted_unread(Conversation.__table__.c))
    .group_by(Conversation.channel)
)


def unread_counts(actor: Extension) -> dict[str, int]:
    """Return unread inbound messages per tab, ``all`` included, of what ``actor`` may read."""
    # Columns only, no objects: the session's connection runs it without the ORM layer.
    return counts_by_tab(db.session.connection().execute(_UNREAD_BY_CHANNEL, actor_params(actor)))


def counts_by_tab(totals: Iterable[Sequence] | None) -> dict[str, int]:
    """``unread_counts``' answer from (channel, total) pairs; None: nothing unread."""
    counts = dict.fromkeys(TABS, 0)
    for channel, total in totals or ():
        counts[Channel(channel).value] = int(total or 0)
    counts["all"] = sum(counts[t] for t in TABS if t != "all")
    return counts


# The name the tab counts are read along under (``widget.inbox.read_along``).
UNREAD_COUNTS = "unread_counts"


def unread_counts_after(upserted: CTE) -> ColumnElement:
    """``unread_counts``' (channel, total) pairs as one JSON value, for the statement that
    stores a new message (``widget.inbox.read_along``): the conversation it upserts
    (``upserted``) counts as the statement leaves it, every other one as stored."""
    others = select(
        Conversation.channel.label("channel"), Conversation.unread_count.label("unread")
    ).where(
        conversations_visible_to(),
        *_counted_unread(Conversation.__table__.c),
        Conversation.id != select(upserted.c.id).scalar_subquery(),
    )
    this_one = select(upserted.c.channel, upserted.c.unread_count).where(
        *_counted_unread(upserted.c)
    )
    both = union_all(others, this_one).subquery()
    totals = (
        select(both.c.channel, func.sum(both.c.unread).label("total"))
        .group_by(both.c.channel)
        .subquery()
    )
    pairs = func.json_agg(func.json_build_array(totals.c.channel, totals.c.total))
    return select(pairs).scalar_subquery()


def thread_messages(
    conversation: Conversation, before: str | None = None, limit: int = 50
) -> tuple[list[Message], str | None]:
    """Return up to ``limit`` alive messages, oldest first, and a cursor for earlier ones."""
    stmt = select(Message).where(
        Message.conversation_id == conversation.id, Message.availability == Availability.ALIVE
    )
    if before:
        moment, row_id = decode_cursor(before)
        stmt = stmt.where(after_cursor(Message.created_at, Message.id, moment, row_id))
    newest_first = list(
        db.session.scalars(
            stmt.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit + 1)
        )
    )
    earlier = None
    if len(newest_first) > limit:
        newest_first = newest_first[:limit]
        earlier = encode_cursor(newest_first[-1].created_at, newest_first[-1].id)
    return list(reversed(newest_first)), earlier


def mark_conversation_read(extension: Extension, conversation: Conversation) -> int:
    """Mark every unread inbound message of the conversation read; return how many changed."""
    unread = list(
        db.session.scalars(
            select(Message).where(
                Message.conversation_id == conversation.id,
                messages_visible_to(extension),
                Message.read_status == ReadStatus.UNREAD,
                Message.direction == Direction.INBOUND,
            )
        )
    )
    if not unread:
        return 0
    now = utcnow()
    for message in unread:
        message.read_status = ReadStatus.READ
        message.last_modified_at = max(now, message.last_modified_at)
    refresh_conversation(conversation)
    record_update(extension, unread, PlatformUpdateKind.READ_STATUS)
    announce(extension, [m.id for m in unread], "read")
    commit_and_announce()
    send_recorded_updates()
    return len(unread)
