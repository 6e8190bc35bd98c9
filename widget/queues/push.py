"""Live updates of queues: every member's sidebar follows arrivals, claims, releases,
transfers, resolves and the customer's texts, through the existing broker.

Frames go to each member's own channel (``ext:<id>``), rendered for that member: the
Queue section differs per person (available or away, what they hold, "Claimed by NAME"
on a row someone else just took). Like every frame they are logged first, then
published, so a member who reconnects is replayed what they missed. A frame carries
every view that may be open (the section, the thread's pills and bubbles, its header
controls); the page applies the pieces whose targets it shows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select

from widget.contacts.service import names_for
from widget.extensions import db
from widget.inbox import fragments
from widget.inbox.presenters import conversation_title
from widget.models import (
    Conversation,
    Direction,
    Extension,
    Message,
    Queue,
    QueueConversation,
    QueueEvent,
    QueueEventKind,
    QueueMember,
)
from widget.queues import views
from widget.queues.cases import open_case
from widget.realtime import events as channels
from widget.realtime import frames
from widget.realtime.service import get_broker, numbered

log = logging.getLogger(__name__)

# Events that offer a case to the queue's available members: they get a notification.
OFFERING = {
    QueueEventKind.ARRIVED,
    QueueEventKind.RELEASED,
    QueueEventKind.TIMED_OUT,
    QueueEventKind.OVERFLOWED,
}


def _members(queue_ids: Iterable[int]) -> list[tuple[Extension, bool]]:
    rows = db.session.execute(
        select(Extension, QueueMember.available)
        .join(QueueMember, QueueMember.extension_id == Extension.id)
        .where(QueueMember.queue_id.in_(set(queue_ids)))
        .order_by(Extension.id)
    ).all()
    seen: dict[int, tuple[Extension, bool]] = {}
    for extension, available in rows:
        was = seen.get(extension.id, (extension, False))[1]
        seen[extension.id] = (extension, was or available)
    return list(seen.values())


def _publish(outgoing: list[tuple[Extension, str, dict | None]], kind: str) -> None:
    """Log each member's frame, commit, then publish (as realtime.service does)."""
    outgoing.sort(key=lambda item: item[0].id)  # counter rows locked in one order
    seqs = [channels.append(channels.ext_channel(e.id), kind, html) for e, html, _ in outgoing]
    db.session.commit()
    broker = get_broker()
    with frames.rendering():
        for (extension, html, notice), seq in zip(outgoing, seqs, strict=True):
            broker.publish(numbered(channels.ext_channel(extension.id), html, seq, notice))


def _title(viewer: Extension, conversation: Conversation) -> str:
    return conversation_title(conversation, names_for(viewer, conversation.addresses))


def case_frame(viewer: Extension, case: QueueConversation, recorded: Sequence[QueueEvent]) -> str:
    """One member's frame for new ``recorded`` events of ``case``."""
    conversation = db.session.get(Conversation, case.conversation_id)
    pills = views.render_pills(recorded, viewer)
    return (
        views.render("queue_section", oob=True, **views.section_context(viewer))
        + frames.insert("ol", f"bubbles-{conversation.id}", "beforeend", pills)
        + views.render_controls(viewer, conversation)
    )


def on_queue_changed(case: QueueConversation, events: Sequence[QueueEvent] = (), **_: Any):
    """``queue_changed`` receiver: push the case's new events to everyone concerned.

    Members of the case's queue, of any queue it left (a transfer or an overflow), and
    the people the events name (a removed member gets their section without the case).
    """
    try:
        _push_case(case, list(events))
    except Exception:  # a push must never fail the change; a reload shows the state
        db.session.rollback()
        log.exception("could not push queue case %s", case.id)


def _push_case(case: QueueConversation, recorded: list[QueueEvent]) -> None:
    queue_ids = {case.queue_id} | {e.target_queue_id for e in recorded if e.target_queue_id}
    queue_ids |= _queues_left(recorded)
    members = _members(queue_ids)
    named = {e.actor_id for e in recorded} | {e.target_extension_id for e in recorded}
    known = {extension.id for extension, _ in members}
    extra = [db.session.get(Extension, i) for i in named - known - {None}]
    members += [(e, False) for e in extra if e is not None]
    conversation = db.session.get(Conversation, case.conversation_id)
    offered = any(e.kind in OFFERING for e in recorded) and case.is_waiting
    outgoing = []
    with frames.rendering():
        for viewer, available in members:
            notice = None
            if offered and available:
                notice = _notice(viewer, conversation, recorded[-1])
            outgoing.append((viewer, case_frame(viewer, case, recorded), notice))
    _publish(outgoing, "queue")


def _queues_left(recorded: Sequence[QueueEvent]) -> set[int]:
    """Queues a case left in these events (the event's own queue): members see it go."""
    return {e.queue_id for e in recorded if e.queue_id is not None}


def _notice(viewer: Extension, conversation: Conversation, event: QueueEvent) -> dict:
    return {
        "id": f"queue-{event.id}",
        "title": _title(viewer, conversation),
        "body": conversation.preview or "New conversation in the queue",
        "conversation_id": str(conversation.id),
    }


def on_messages_changed(sender: Extension, message_ids=(), reason: str = "", **_: Any) -> None:
    """``messages_changed`` receiver: texts in a queue conversation reach its members.

    The claimer (and, while the case waits, every available member) is notified of a
    customer's text; every member with the thread open sees the bubble.
    """
    if not getattr(sender, "is_queue_mailbox", False) or not message_ids:
        return
    try:
        _push_messages(sender, list(message_ids), reason)
    except Exception:
        db.session.rollback()
        log.exception("could not push queue messages %s", list(message_ids)[:20])


def _push_messages(mailbox: Extension, message_ids: list[int], reason: str) -> None:
    messages = list(
        db.session.scalars(
            select(Message)
            .where(Message.id.in_(message_ids), Message.extension_id == mailbox.id)
            .order_by(Message.created_at, Message.id)
        )
    )
    if not messages:
        return
    by_conversation: dict[int, list[Message]] = {}
    for message in messages:
        by_conversation.setdefault(message.conversation_id, []).append(message)
    queue = db.session.scalar(select(Queue).where(Queue.extension_id == mailbox.id))
    outgoing = []
    with frames.rendering():
        for conversation_id, own in by_conversation.items():
            conversation = db.session.get(Conversation, conversation_id)
            case = open_case(conversation_id)
            queue_id = case.queue_id if case else (queue.id if queue else None)
            if queue_id is None:
                continue
            inbound = reason == "created" and any(m.direction == Direction.INBOUND for m in own)
            for viewer, available in _members([queue_id]):
                bubbles = fragments.render_bubbles(viewer, conversation, own)
                html = frames.insert("ol", f"bubbles-{conversation.id}", "beforeend", bubbles)
                html += views.render("queue_section", oob=True, **views.section_context(viewer))
                told = case is not None and (
                    case.claimed_by_id == viewer.id or (case.is_waiting and available)
                )
                notice = None
                if inbound and told:
                    notice = {
                        "id": str(own[-1].id),
                        "title": _title(viewer, conversation),
                        "body": own[-1].subject or "New message",
                        "conversation_id": str(conversation.id),
                    }
                outgoing.append((viewer, html, notice))
    if outgoing:
        _publish(outgoing, "messages")
