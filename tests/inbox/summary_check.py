"""Test helpers: the summary a conversation should have, recounted from its messages."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

from widget.extensions import db
from widget.inbox.summary import preview_text
from widget.models import Availability, Conversation, Direction, Message, ReadStatus


def recounted(conversation_id: int) -> dict:
    """What ``conversation_id``'s summary must be, computed the slow, obvious way."""
    messages = db.session.scalars(
        select(Message).where(Message.conversation_id == conversation_id)
    ).all()
    alive = [m for m in messages if m.availability == Availability.ALIVE]
    unread = [
        m for m in alive if m.direction == Direction.INBOUND and m.read_status == ReadStatus.UNREAD
    ]
    summary = {"message_count": len(alive), "unread_count": len(unread)}
    if not alive:
        summary["availability"] = Availability.DELETED
        return summary
    latest = max(alive, key=lambda m: (m.created_at, m.id))
    summary.update(
        availability=Availability.ALIVE,
        last_message_at=latest.created_at,
        preview=preview_text(latest),
    )
    return summary


def stored(conversation_id: int) -> dict:
    """The summary as the conversation row holds it, in ``recounted``'s shape."""
    conversation = db.session.get(Conversation, conversation_id, populate_existing=True)
    summary = {
        "message_count": conversation.message_count,
        "unread_count": conversation.unread_count,
        "availability": conversation.availability,
    }
    if conversation.availability == Availability.ALIVE:
        summary.update(last_message_at=conversation.last_message_at, preview=conversation.preview)
    return summary


def assert_summaries_exact() -> None:
    for conversation_id in db.session.scalars(select(Conversation.id)):
        assert stored(conversation_id) == recounted(conversation_id), conversation_id


@contextmanager
def counting_statements():
    """Count the SQL statements and commits run inside the block (``counts`` dict)."""
    counts = {"statements": 0, "commits": 0, "sql": []}
    engine = db.engine

    def on_execute(conn, cursor, statement, params, context, executemany):
        counts["statements"] += 1
        counts["sql"].append(statement)

    def on_commit(conn):
        counts["commits"] += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)
