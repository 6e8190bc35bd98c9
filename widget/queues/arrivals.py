"""Messages in a queue's mailbox: a customer's text, voicemail or fax opens or feeds a
case, an agent's reply is recorded on it.

``on_message_ingested`` runs inside ingestion's transaction (the ``message_ingested``
signal), so a case and its events commit together with the message that caused them;
for a message of a person's own mailbox it returns before touching the database, which
keeps ingestion's statement budget for direct messages unchanged. The events are
announced after the commit by ``on_messages_changed``.

A customer writing after Resolve opens a new case on the same conversation, linked to
the resolved one: the thread keeps the whole history, the new case starts in the queue.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select, text, update

from widget.extensions import db
from widget.models import (
    Direction,
    Extension,
    Message,
    MessageType,
    Queue,
    QueueConversation,
    QueueEventKind,
)
from widget.models.queries import dialect_insert
from widget.queues import events
from widget.queues.cases import latest_case, open_case

_SESSION_KEY = "sidetalk_queue_events"
# What a customer leaves in a queue's mailbox that someone must handle: a text, and also a
# voicemail or a fax (its own conversation, as in a person's mailbox), which arrives
# exactly like a text: a case, the ARRIVED pill, the push to the available members.
CASE_TYPES = (MessageType.SMS, MessageType.VOICEMAIL, MessageType.FAX)


def on_message_ingested(extension: Extension, message: Message, **_: Any) -> None:
    """``message_ingested`` receiver: keep the case of a queue conversation in step."""
    if not extension.is_queue_mailbox or message.type not in CASE_TYPES:
        return
    inbound = message.direction == Direction.INBOUND
    if not inbound and message.type != MessageType.SMS:
        return
    queue = db.session.scalar(select(Queue).where(Queue.extension_id == extension.id))
    if queue is None:
        return
    if inbound:
        case, new_events = customer_wrote(queue, message)
    else:
        case, new_events = agent_replied(message), []
    if case is not None and new_events:
        db.session.info.setdefault(_SESSION_KEY, []).append((case, new_events))


def _open_new_case(queue: Queue, message: Message) -> QueueConversation | None:
    """Insert the conversation's open case unless another writer just did (the partial
    unique index decides); return it, or None if it was not ours to create."""
    previous = latest_case(message.conversation_id)
    at = message.created_at
    inserted = db.session.scalar(
        dialect_insert(QueueConversation)
        .values(
            queue_id=previous.queue_id if previous else queue.id,
            conversation_id=message.conversation_id,
            previous_id=previous.id if previous else None,
            first_message_id=message.id,
            opened_at=at,
            waiting_since=at,
            notified_at=at,
            last_customer_at=at,
            last_message_at=at,
        )
        .on_conflict_do_nothing(
            index_elements=["conversation_id"], index_where=text("resolved_at IS NULL")
        )
        .returning(QueueConversation.id)
    )
    return db.session.get(QueueConversation, inserted) if inserted is not None else None


def customer_wrote(queue: Queue, message: Message) -> tuple[QueueConversation | None, list]:
    """An inbound text: feed the open case, or open one (linked to the last resolved)."""
    case = open_case(message.conversation_id)
    if case is None:
        case = _open_new_case(queue, message)
        if case is not None:
            recorded = []
            if case.previous_id is not None:
                recorded.append(events.record(case, QueueEventKind.REOPENED, at=message.created_at))
            recorded.append(
                events.record(
                    case, QueueEventKind.ARRIVED, target_queue=case.queue, at=message.created_at
                )
            )
            return case, recorded
        case = open_case(message.conversation_id)  # another writer opened it meanwhile
    values = {"last_customer_at": message.created_at, "last_message_at": message.created_at}
    db.session.execute(
        update(QueueConversation).where(QueueConversation.id == case.id).values(**values)
    )
    # The claimer owes an answer from the first unanswered text on.
    db.session.execute(
        update(QueueConversation)
        .where(
            QueueConversation.id == case.id,
            QueueConversation.claimed_by_id.is_not(None),
            QueueConversation.reply_due_since.is_(None),
        )
        .values(reply_due_since=message.created_at)
    )
    return case, []


def agent_replied(message: Message) -> QueueConversation | None:
    """An outbound text from the queue's number: the claimer answered."""
    case = open_case(message.conversation_id)
    if case is None:
        return None
    db.session.execute(
        update(QueueConversation)
        .where(QueueConversation.id == case.id)
        .values(
            last_agent_reply_at=message.created_at,
            last_message_at=message.created_at,
            reply_due_since=None,
        )
    )
    return case


def on_messages_changed(sender: Extension, **_: Any) -> None:
    """``messages_changed`` receiver (after the commit): announce the cases' new events."""
    if not getattr(sender, "is_queue_mailbox", False):
        return
    for case, recorded in db.session.info.pop(_SESSION_KEY, []):
        if all(inspect(event).persistent for event in recorded):
            events.announce(case, recorded)
