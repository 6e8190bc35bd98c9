"""Colleagues in a conversation, and read receipts between them.

Colleagues ("internal participants") are the conversation's addresses that belong to
another extension of the same account: an extension number on the pager channel, or one
of their phone numbers. Each mailbox stores its own copy of an internal message; a
receipt is recorded on the sender's copy when a colleague reads theirs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from flask import g
from sqlalchemy import select

from widget.access import mailbox_of
from widget.extensions import db
from widget.inbox.ingest import participants_key
from widget.models import (
    Channel,
    Conversation,
    Direction,
    Extension,
    Message,
    PhoneNumber,
    ReadReceipt,
)
from widget.models.queries import insert_once
from widget.platforms import get_platform

# Each mailbox stores its own copy of an internal message, stamped by the platform when
# it was sent; where the platform cannot name the sender's copy, copies are matched by
# sender, thread and this window.
COPY_MATCH_WINDOW = timedelta(seconds=2)


# --- colleagues -----------------------------------------------------------------------


def colleagues_by_address(owner: Extension, addresses: Iterable[str]) -> dict[str, Extension]:
    """The other extensions of ``owner``'s account among ``addresses``, by address."""
    addresses = set(addresses)
    found: dict[str, Extension] = {}
    numbers = [a for a in addresses if not a.startswith("+")]
    if numbers:
        for ext in db.session.scalars(
            select(Extension).where(
                Extension.account_id == owner.account_id, Extension.extension_number.in_(numbers)
            )
        ):
            found[ext.extension_number] = ext
    phones = [a for a in addresses if a.startswith("+")]
    if phones:
        rows = db.session.execute(
            select(PhoneNumber.e164, Extension)
            .join(Extension, Extension.id == PhoneNumber.extension_id)
            .where(PhoneNumber.account_id == owner.account_id, PhoneNumber.e164.in_(phones))
        )
        found.update({e164: ext for e164, ext in rows})
    return {address: ext for address, ext in found.items() if ext.id != owner.id}


def counterpart(
    owner: Extension, conversation: Conversation, member: Extension, member_address: str
) -> Conversation | None:
    """``member``'s own copy of ``owner``'s ``conversation``, if they have one."""
    base = select(Conversation).where(
        mailbox_of(member).where(Conversation), Conversation.channel == conversation.channel
    )
    if conversation.platform_conversation_id:
        found = db.session.scalar(
            base.where(
                Conversation.platform_conversation_id == conversation.platform_conversation_id
            )
        )
        if found is not None:
            return found
    others = set(conversation.addresses) - {member_address}
    if conversation.channel == Channel.PAGER:
        mine = [owner.extension_number]
    else:
        mine = [n.e164 for n in owner.phone_numbers]
    keys = [participants_key(sorted(others | {address})) for address in mine]
    return db.session.scalars(base.where(Conversation.participants.in_(keys))).first()


def typing_targets(owner: Extension, conversation: Conversation) -> list[Conversation]:
    """The colleagues' copies of ``conversation``: where ``owner``'s typing shows."""
    targets = []
    for address, member in colleagues_by_address(owner, conversation.addresses).items():
        copy = counterpart(owner, conversation, member, address)
        if copy is not None:
            targets.append(copy)
    return targets


def has_colleagues(owner: Extension, conversation: Conversation) -> bool:
    return bool(colleagues_by_address(owner, conversation.addresses))


# --- read receipts -----------------------------------------------------------------------


def sender_copy(reader: Extension, message: Message) -> tuple[Extension, Message] | None:
    """The colleague who sent ``message`` to ``reader``, and their own copy of it."""
    if message.direction != Direction.INBOUND:
        return None
    sender = colleagues_by_address(reader, [message.from_address]).get(message.from_address)
    if sender is None:
        return None
    sent_id = get_platform().sender_copy_id(message)
    if sent_id is not None:
        # Identity, not timing: a copy may be delivered seconds after it was sent.
        copy = db.session.scalar(
            select(Message).where(
                mailbox_of(sender).where(Message),
                Message.platform == message.platform,
                Message.platform_message_id == sent_id,
                Message.direction == Direction.OUTBOUND,
            )
        )
        return (sender, copy) if copy is not None else None
    thread = counterpart(reader, message.conversation, sender, message.from_address)
    if thread is None:
        return None
    candidates = db.session.scalars(
        select(Message).where(
            Message.conversation_id == thread.id,
            Message.direction == Direction.OUTBOUND,
            Message.type == message.type,
            Message.created_at >= message.created_at - COPY_MATCH_WINDOW,
            Message.created_at <= message.created_at + COPY_MATCH_WINDOW,
        )
    ).all()
    if not candidates:
        return None
    # Same text first, then the closest time.
    best = min(
        candidates,
        key=lambda m: (m.subject != message.subject, abs(m.created_at - message.created_at)),
    )
    return sender, best


def record_read_receipts(
    reader: Extension, messages: Iterable[Message]
) -> dict[int, tuple[Extension, list[Message]]]:
    """Record that ``reader`` read ``messages``; return the senders' updated copies."""
    changed: dict[int, tuple[Extension, list[Message]]] = {}
    for message in messages:
        found = sender_copy(reader, message)
        if found is None:
            continue
        sender, copy = found
        if not insert_once(ReadReceipt(message_id=copy.id, reader_extension_id=reader.id)):
            continue  # already recorded (the message was read, unread, read again)
        changed.setdefault(sender.id, (sender, []))[1].append(copy)
    g.pop("realtime_read_by", None)  # receipts rendered from now on must include these
    return changed


def read_by_thread(message: Message) -> list[str]:
    """Names of the colleagues who read ``message``, in the order they read it.

    The first call for a thread loads the receipts of all its messages, so a rendered
    thread costs one query however many bubbles it has.
    """
    cache = g.setdefault("realtime_read_by", {})
    if message.conversation_id not in cache:
        rows = db.session.execute(
            select(ReadReceipt.message_id, Extension.name)
            .join(Extension, Extension.id == ReadReceipt.reader_extension_id)
            .join(Message, Message.id == ReadReceipt.message_id)
            .where(Message.conversation_id == message.conversation_id)
            .order_by(ReadReceipt.read_at, ReadReceipt.id)
        )
        names: dict[int, list[str]] = {}
        for message_id, name in rows:
            names.setdefault(message_id, []).append(name)
        cache[message.conversation_id] = names
    return cache[message.conversation_id].get(message.id, [])
