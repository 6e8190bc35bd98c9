"""The list summary of a conversation, kept in step without reading its thread.

A conversation row carries what its list row shows: the latest alive message (time,
type, direction, preview), the unread inbound count and the alive message count.
Ingestion changes it by deltas in the statement that finds or creates the row
(``upsert_statement``) or in one batched ``UPDATE`` per page (``apply_deltas``);
operations that may remove the latest message look it up with one ``LIMIT 1`` walk of
``ix_messages_thread`` (``refresh_latest``). Nothing here costs more on a long thread.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm import selectinload

from widget.extensions import db
from widget.models import (
    Availability,
    Conversation,
    Direction,
    Message,
    MessageType,
    ReadStatus,
)
from widget.models.loaded import returned_columns
from widget.models.queries import dialect_insert, insert_recordset

PREVIEW_LENGTH = 140


def preview_of(
    message_type: MessageType,
    subject: str,
    is_mms: bool = False,
    duration_seconds: float | None = None,
    page_count: int | None = None,
) -> str:
    """A one-line summary for a list row, from a message's plain values."""
    if message_type == MessageType.VOICEMAIL:
        seconds = int(duration_seconds or 0)
        return f"Voicemail ({seconds // 60}:{seconds % 60:02d})"
    if message_type == MessageType.FAX:
        pages = page_count or 1
        return f"Fax, {pages} page{'s' if pages != 1 else ''}"
    text = " ".join(subject.split())
    if not text and is_mms:
        return "Picture message"
    return text[:PREVIEW_LENGTH]


def preview_text(message: Message) -> str:
    """A one-line summary of ``message`` for its conversation's list row."""
    return preview_of(
        message.type,
        message.subject,
        is_mms=message.is_mms,
        duration_seconds=next(
            (a.duration_seconds for a in message.attachments if a.duration_seconds), None
        ),
        page_count=next((a.page_count for a in message.attachments if a.page_count), None),
    )


@dataclass
class SummaryDelta:
    """What a set of changes does to one conversation's summary."""

    alive: int = 0  # change of the alive message count
    unread: int = 0  # change of the unread inbound count
    # The newest alive message the changes brought, if any: (time, type, direction, preview).
    latest: tuple[datetime, MessageType, Direction, str] | None = None
    # True when a change may have removed the latest message (deleted, purged).
    latest_may_go: bool = False

    def offer(self, at: datetime, kind: MessageType, direction: Direction, preview: str) -> None:
        if self.latest is None or at >= self.latest[0]:
            self.latest = (at, kind, direction, preview)

    def merge(self, other: SummaryDelta) -> None:
        self.alive += other.alive
        self.unread += other.unread
        self.latest_may_go = self.latest_may_go or other.latest_may_go
        if other.latest is not None:
            self.offer(*other.latest)


def counts_as_unread(direction: Direction, read: ReadStatus, availability: Availability) -> bool:
    return (
        direction == Direction.INBOUND
        and read == ReadStatus.UNREAD
        and availability == Availability.ALIVE
    )


def _newer_or_revived(at):
    """SQL: the offered latest message replaces the row's (newer, or the row was empty)."""
    return or_(Conversation.availability != Availability.ALIVE, at >= Conversation.last_message_at)


def _latest_set(at, values: dict, has_latest) -> dict:
    """``SET`` clauses that take the offered latest message when it is the newer one."""
    take = and_(has_latest, _newer_or_revived(at))
    columns = {
        "last_message_at": at,
        "last_message_type": values["last_message_type"],
        "last_direction": values["last_direction"],
        "preview": values["preview"],
    }
    result = {
        name: case((take, value), else_=getattr(Conversation, name))
        for name, value in columns.items()
    }
    result["availability"] = case(
        (has_latest, Availability.ALIVE.value), else_=Conversation.availability
    )
    return result


def conversation_row(values: dict, delta: SummaryDelta, fallback: tuple) -> dict:
    """A conversation row to insert carrying ``delta``: when the row exists already, the
    upsert adds these counts and offers this latest message (``upsert_statement``).

    ``fallback`` (time, type, direction) fills the latest-message columns of a row whose
    messages are none of them alive; its availability says there is no latest to offer.
    """
    alive = delta.latest is not None
    at, kind, direction, preview = delta.latest if alive else (*fallback, "")
    return {
        **values,
        "availability": Availability.ALIVE if alive else Availability.DELETED,
        "unread_count": delta.unread,
        "message_count": delta.alive,
        "last_message_at": at,
        "last_message_type": kind,
        "last_direction": direction,
        "preview": preview,
    }


def upsert_statement(row: dict | None = None, core: bool = False, values: dict | None = None):
    """``INSERT ... ON CONFLICT DO UPDATE`` finding or creating conversations and applying
    each row's delta (``conversation_row``) in the same statement, returning the rows.

    With ``row``, for that one row; without, to execute with a list of rows (one cached
    statement that the driver sends in multi-row batches); ``values`` gives the inserted
    columns' expressions (bound parameters of a statement that embeds this one).
    ``core``: on the table, returning its columns (for ``widget.models.loaded.attach``),
    not ORM objects.
    """
    statement = dialect_insert(Conversation.__table__ if core else Conversation)
    if row is not None or values is not None:
        statement = statement.values(row if row is not None else values)
    returning = returned_columns(Conversation) if core else [Conversation]
    return _adding_deltas(statement).returning(*returning)


@functools.cache
def upsert_page_statement(names: tuple[str, ...]):
    """PostgreSQL: ``upsert_statement`` for a page of rows sent as one JSON text
    (``recordset_page``), returning the table's columns: one short statement whatever
    the number of rows."""
    table = Conversation.__table__
    return _adding_deltas(insert_recordset(table, names)).returning(*table.columns)


def _adding_deltas(statement):
    """``statement`` finishing with ``ON CONFLICT DO UPDATE`` adding the inserted row's
    delta to the stored row's summary."""
    excluded = statement.excluded
    has_latest = excluded.availability == Availability.ALIVE.value
    set_ = {
        "unread_count": Conversation.unread_count + excluded.unread_count,
        "message_count": Conversation.message_count + excluded.message_count,
        **_latest_set(
            excluded.last_message_at,
            {
                "last_message_type": excluded.last_message_type,
                "last_direction": excluded.last_direction,
                "preview": excluded.preview,
            },
            has_latest,
        ),
    }
    return statement.on_conflict_do_update(
        index_elements=["extension_id", "channel", "participants"], set_=set_
    )


@functools.cache
def upsert_statement_for(dialect: str):
    """``upsert_statement(core=True)`` built once per dialect, executed with a row's
    values: building it (a CASE per latest-message column) costs more CPU than running it."""
    return upsert_statement(core=True)


def _delta_statement():
    """One ``UPDATE`` per conversation, run as one executemany over a page's conversations."""
    at = bindparam("d_at", type_=Conversation.last_message_at.type)
    has_latest = bindparam("d_has_latest", type_=Boolean())
    values = {
        "last_message_type": bindparam("d_type", type_=Conversation.last_message_type.type),
        "last_direction": bindparam("d_direction", type_=Conversation.last_direction.type),
        "preview": bindparam("d_preview", type_=Conversation.preview.type),
    }
    return (
        update(Conversation.__table__)
        .where(Conversation.__table__.c.id == bindparam("d_id"))
        .values(
            unread_count=Conversation.unread_count + bindparam("d_unread"),
            message_count=Conversation.message_count + bindparam("d_alive"),
            **_latest_set(at, values, has_latest),
        )
    )


def forget_cached(conversation_ids) -> None:
    """Expire the session's copies of conversations a Core ``UPDATE`` just changed."""
    identity_map = db.session.identity_map
    for conversation_id in conversation_ids:
        cached = identity_map.get(db.session.identity_key(Conversation, conversation_id))
        if cached is not None:
            db.session.expire(cached)


def apply_deltas(deltas: dict[int, SummaryDelta]) -> None:
    """Apply ``deltas`` (by conversation id) in one executemany, then re-find the latest
    message of the conversations whose latest may have gone."""
    if not deltas:
        return
    params = []
    for conversation_id, delta in sorted(deltas.items()):
        latest = delta.latest
        params.append(
            {
                "d_id": conversation_id,
                "d_unread": delta.unread,
                "d_alive": delta.alive,
                "d_has_latest": latest is not None,
                "d_at": latest[0] if latest else None,
                "d_type": latest[1] if latest else None,
                "d_direction": latest[2] if latest else None,
                "d_preview": latest[3] if latest else None,
            }
        )
    db.session.execute(_delta_statement(), params)
    for conversation_id, delta in deltas.items():
        if delta.latest_may_go:
            refresh_latest(conversation_id)
    forget_cached(deltas)


def refresh_latest(conversation_id: int) -> None:
    """Re-find the latest alive message (one ``LIMIT 1`` walk of the thread index)."""
    latest = db.session.scalars(
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.availability == Availability.ALIVE,
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
        .options(selectinload(Message.attachments))
    ).first()
    table = Conversation.__table__
    if latest is None:
        values = {"availability": Availability.DELETED, "unread_count": 0, "message_count": 0}
    else:
        values = {
            "availability": Availability.ALIVE,
            "last_message_at": latest.created_at,
            "last_message_type": latest.type,
            "last_direction": latest.direction,
            "preview": preview_text(latest),
        }
    db.session.execute(update(table).where(table.c.id == conversation_id).values(**values))
    forget_cached([conversation_id])


def unread_inbound_count(conversation_id: int) -> int:
    """Unread inbound alive messages: a range of ``ix_messages_unread``, not the thread."""
    return db.session.scalar(
        select(func.count()).where(
            Message.conversation_id == conversation_id,
            Message.read_status == ReadStatus.UNREAD,
            Message.availability == Availability.ALIVE,
            Message.direction == Direction.INBOUND,
        )
    )


def refresh_conversation(conversation: Conversation, alive_delta: int = 0) -> None:
    """Bring ``conversation``'s summary up to date after messages of it changed.

    ``alive_delta`` is how many messages became alive (negative: stopped being alive);
    the unread count is recounted over the unread index range and the latest message
    re-found with ``LIMIT 1``, so the cost follows what changed, not the thread's length.
    """
    db.session.flush()
    table = Conversation.__table__
    db.session.execute(
        update(table)
        .where(table.c.id == conversation.id)
        .values(
            message_count=table.c.message_count + alive_delta,
            unread_count=unread_inbound_count(conversation.id),
        )
    )
    refresh_latest(conversation.id)
