"""What a case holds, for the thread, the CRM log and a platform mapping: its messages
(the conversation's from the case's first message up to the next case's), its events
(pills and notes) and the cases it continues.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from widget.extensions import db
from widget.models import Message, QueueConversation, QueueEvent


def messages_of(case: QueueConversation) -> list[Message]:
    """The case's messages, oldest first: exactly those it opened with or received until
    the next case on the same conversation began (the CRM log of one case)."""
    statement = select(Message).where(Message.conversation_id == case.conversation_id)
    if case.first_message_id is not None:
        statement = statement.where(Message.id >= case.first_message_id)
    following = db.session.scalar(
        select(QueueConversation.first_message_id)
        .where(
            QueueConversation.conversation_id == case.conversation_id,
            QueueConversation.id > case.id,
        )
        .order_by(QueueConversation.id)
        .limit(1)
    )
    if following is not None:
        statement = statement.where(Message.id < following)
    return list(db.session.scalars(statement.order_by(Message.created_at, Message.id)))


def events_of_conversation(conversation_id: int) -> list[QueueEvent]:
    """Every case event on the conversation, oldest first (all its cases: history stays)."""
    return list(
        db.session.scalars(
            select(QueueEvent)
            .join(QueueConversation, QueueConversation.id == QueueEvent.queue_conversation_id)
            .where(QueueConversation.conversation_id == conversation_id)
            .order_by(QueueEvent.created_at, QueueEvent.id)
        )
    )


@dataclass(frozen=True)
class TimelineItem:
    """One row of a queue thread: a message, or an event (a pill or a note)."""

    at: datetime
    message: Message | None = None
    event: QueueEvent | None = None


def timeline(messages: list[Message], conversation_id: int) -> list[TimelineItem]:
    """Interleave a thread's ``messages`` with the conversation's case events by time.

    An event at the same instant as a message comes after it (a case arrives with its
    first text).
    """
    items = [TimelineItem(m.created_at, message=m) for m in messages]
    items += [TimelineItem(e.created_at, event=e) for e in events_of_conversation(conversation_id)]
    return sorted(items, key=lambda item: (item.at, item.event is not None))


def previous_cases(case: QueueConversation) -> list[QueueConversation]:
    """The resolved cases this one continues, newest first."""
    chain = []
    current = case
    while current.previous_id is not None:
        current = db.session.get(QueueConversation, current.previous_id)
        if current is None:
            break
        chain.append(current)
    return chain
