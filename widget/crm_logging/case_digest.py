"""Builds the :class:`Digest` of one shared-inbox case (logged once, for its whole life).

Besides the messages, a case's body says which queue it came to, who handled it (the
claim and transfer history, in order), how it stands (open, claimed, resolved with the
reason) and the members' internal notes (notes and transfer notes). Everything is read
from Sidetalk's own rows (``QueueEvent`` and the case's messages), so the body is
composed whole on every write, like a day's digest. An agent's reply goes out from the
queue's number without naming its author; only the holder can reply, so the holder at
the reply's time is its sender.
"""

from __future__ import annotations

from collections.abc import Sequence

from widget.crm_logging.digest import Digest, DigestEntry, DigestSection
from widget.crm_logging.grouping import local_day, user_zone
from widget.crm_logging.transcript import NameBook, message_entry
from widget.extensions import db
from widget.inbox.ingest import own_addresses
from widget.models import (
    Conversation,
    Direction,
    Extension,
    Message,
    QueueConversation,
    QueueEvent,
    QueueEventKind,
)

SYSTEM = "Sidetalk"
# Events that carry a note members wrote for each other.
_NOTE_KINDS = (QueueEventKind.NOTE, QueueEventKind.TRANSFERRED)


def describe(event: QueueEvent) -> str:
    """One line of the handling history (the thread's pill, as words)."""
    kind = event.kind
    if kind == QueueEventKind.ARRIVED:
        return f"Arrived in {event.target_name or 'the queue'}"
    if kind == QueueEventKind.CLAIMED:
        return "Claimed by replying" if event.reason == "reply" else "Claimed"
    if kind == QueueEventKind.RELEASED:
        return "Released to the queue" if event.actor_name else "Back in the queue"
    if kind == QueueEventKind.TRANSFERRED:
        return f"Transferred to {event.target_name}"
    if kind == QueueEventKind.RESOLVED:
        return f"Resolved: {event.reason}" + (f" ({event.text})" if event.text else "")
    if kind == QueueEventKind.TIMED_OUT:
        return "Timed out" + (f": {event.text}" if event.text else "")
    if kind == QueueEventKind.REOPENED:
        return "Reopened: the customer wrote again"
    if kind == QueueEventKind.OVERFLOWED:
        return f"Moved to {event.target_name}"
    return str(kind)


def _holder_after(event: QueueEvent, holder: str | None) -> str | None:
    """Who holds the case after ``event`` (None: waiting in a queue)."""
    if event.kind == QueueEventKind.CLAIMED:
        return event.actor_name
    if event.kind == QueueEventKind.TRANSFERRED:
        return event.target_name if event.target_extension_id else None
    if event.kind in (QueueEventKind.RELEASED, QueueEventKind.TIMED_OUT, QueueEventKind.OVERFLOWED):
        return None
    return holder  # a note, a resolve, an arrival: the holder stays who it was


def handlers(events: Sequence[QueueEvent]) -> list[str]:
    """Everyone who held the case, in the order they first did."""
    names: list[str] = []
    holder: str | None = None
    for event in events:
        holder = _holder_after(event, holder)
        if holder and holder not in names:
            names.append(holder)
    return names


def _status(case: QueueConversation, events: Sequence[QueueEvent]) -> str:
    if case.resolved_at is not None:
        resolved = next((e for e in reversed(events) if e.kind == QueueEventKind.RESOLVED), None)
        by = f" by {resolved.actor_name}" if resolved and resolved.actor_name else ""
        text = f" ({case.resolve_text})" if case.resolve_text else ""
        return f"Resolved{by}: {case.resolve_reason}{text}"
    if case.claimed_by is not None:
        return f"Claimed by {case.claimed_by.name}"
    return "Waiting in the queue"


def _message_entries(
    messages: Sequence[Message], events: Sequence[QueueEvent], book: NameBook, queue_name: str, zone
) -> list[DigestEntry]:
    ordered_events = list(events)
    holder: str | None = None
    position = 0
    entries = []
    for message in messages:
        while position < len(ordered_events) and (
            ordered_events[position].created_at <= message.created_at
        ):
            holder = _holder_after(ordered_events[position], holder)
            position += 1
        if message.direction == Direction.OUTBOUND:
            sender = holder or queue_name
        else:
            sender = book.name(message.from_address, message.from_name)
        entries.append(message_entry(message, sender, zone))
    return entries


def build_case_digest(
    extension: Extension,
    case: QueueConversation,
    messages: Sequence[Message],
    record_name: str = "",
    record_phone: str | None = None,
) -> Digest:
    """Return the digest of ``case`` as ``extension`` (who logs it) reads it."""
    conversation = db.session.get(Conversation, case.conversation_id)
    queue_name = case.queue.name
    zone = user_zone(extension)
    events = sorted(case.events, key=lambda e: (e.created_at, e.id))
    ordered = sorted(messages, key=lambda m: (m.created_at, m.id))
    addresses = set(conversation.addresses)
    for message in ordered:
        addresses.add(message.from_address)
    book = NameBook(extension, addresses, record_name, record_phone)
    mailbox = db.session.get(Extension, conversation.extension_id)
    for own in own_addresses(mailbox):
        book.names[own] = queue_name
    customers = [book.labelled(a) for a in conversation.addresses]
    handled_by = handlers(events)
    history = tuple(
        DigestEntry(e.created_at.astimezone(zone), e.actor_name or SYSTEM, describe(e))
        for e in events
        if e.kind != QueueEventKind.NOTE
    )
    notes = tuple(
        DigestEntry(
            e.created_at.astimezone(zone),
            e.actor_name or SYSTEM,
            e.text if e.kind == QueueEventKind.NOTE else f"(transfer to {e.target_name}) {e.text}",
        )
        for e in events
        if e.kind in _NOTE_KINDS and e.text
    )
    who = ", ".join(book.name(a) for a in conversation.addresses)
    title = f"Shared inbox conversation with {who} ({queue_name})"
    day = local_day(extension, case.opened_at)
    sections = [DigestSection("Handling history", history)]
    if notes:
        sections.append(DigestSection("Internal notes", notes))
    return Digest(
        subject=f"{title} ({day.strftime('%b %-d, %Y')})",
        title=title,
        day=day,
        zone_name=zone.key,
        participants=(*customers, *handled_by),
        logged_by=extension.name,
        entries=tuple(_message_entries(ordered, events, book, queue_name, zone)),
        details=(
            ("Queue", queue_name),
            ("Handled by", ", ".join(handled_by) or "nobody yet"),
            ("Status", _status(case, events)),
        ),
        sections=tuple(sections),
    )
