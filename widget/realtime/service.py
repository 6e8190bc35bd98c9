"""What gets pushed, to whom: message changes, read receipts and typing.

Everything here takes plain arguments and runs after the change it announces was
committed (``messages_changed`` is sent after commit). Frames are numbered and stored
in the event log by one commit, then published; typing is ephemeral and only
published. Colleagues ("internal participants") are the conversation's addresses that
belong to another extension of the same account: an extension number on the pager
channel, or one of their phone numbers; outside numbers never get receipts or typing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from flask import current_app, g
from sqlalchemy import delete, select

from widget.errors import BadInput
from widget.extensions import db
from widget.inbox.ingest import participants_key
from widget.models import (
    Channel,
    Conversation,
    Direction,
    Extension,
    Message,
    PendingPush,
    PhoneNumber,
    ReadReceipt,
)
from widget.models.queries import insert_once
from widget.models.types import utcnow
from widget.realtime import events, frames
from widget.realtime.broker import Broker, Delivery

log = logging.getLogger(__name__)

# Each mailbox stores its own copy of an internal message, stamped by the platform when
# it was sent; the copies of one message are matched by sender, thread and this window.
COPY_MATCH_WINDOW = timedelta(seconds=2)

# The outbox sweeper (``push_leftovers``): rows this old were not pushed by the process
# that announced them; past the give-up age a push is pointless (a reload shows it).
LEFTOVER_AGE = timedelta(seconds=30)
LEFTOVER_GIVE_UP = timedelta(days=1)
LEFTOVER_BATCH = 500

# Queues (shared inboxes) add their channels here: f(extension) -> channel names.
channel_providers: list[Callable[[Extension], Iterable[str]]] = []


def get_broker() -> Broker:
    return current_app.extensions["realtime"]


def channels_for(extension: Extension) -> list[str]:
    """Every channel ``extension`` may listen to: its own, then its queues'."""
    channels = [events.ext_channel(extension.id)]
    for provider in channel_providers:
        channels.extend(c for c in provider(extension) if c not in channels)
    return channels


def publish(channel: str, kind: str, html: str, notice: dict | None = None) -> Delivery:
    """Log ``html`` as the channel's next event, commit, then publish it."""
    seq = events.append(channel, kind, html)
    db.session.commit()
    with frames.rendering():
        delivery = numbered(channel, html, seq, notice)
    get_broker().publish(delivery)
    return delivery


def numbered(channel: str, html: str, seq: int, notice: dict | None) -> Delivery:
    """The delivery of logged event ``seq``, with what only live clients get."""
    tail = frames.cursors({channel: seq}) + (frames.notice(notice) if notice else "")
    return Delivery(channel=channel, html=html, seq=seq, notice=notice, tail=tail)


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
        Conversation.extension_id == member.id, Conversation.channel == conversation.channel
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


class TypingGate:
    """At most one typing event per person and conversation per ``interval`` seconds.

    Pages send one every 2.5 s while typing; a script sending more gets them dropped
    here rather than fanned out. Per process, which is enough to bound the load.
    """

    def __init__(self, interval: float = 1.0, capacity: int = 10_000) -> None:
        self.interval = interval
        self.capacity = capacity
        self._last: dict[tuple[int, int], float] = {}
        self._lock = threading.Lock()

    def allow(self, extension_id: int, conversation_id: int) -> bool:
        now = time.monotonic()
        key = (extension_id, conversation_id)
        with self._lock:
            if now - self._last.get(key, -self.interval) < self.interval:
                return False
            if len(self._last) >= self.capacity:
                self._last.clear()
            self._last[key] = now
            return True


def send_typing(owner: Extension, conversation: Conversation) -> int:
    """Show "NAME is typing" in the colleagues' copies; return how many were told.

    ``BadInput`` when nobody in the conversation is a colleague: typing is never shown
    to outside numbers. Repeats faster than the gate allows are dropped (0 told).
    """
    targets = typing_targets(owner, conversation)
    if not targets:
        raise BadInput(
            "Typing is only shared with colleagues, and this conversation has none.", status=409
        )
    if not current_app.extensions["realtime_typing_gate"].allow(owner.id, conversation.id):
        return 0
    broker = get_broker()
    with frames.rendering():
        for copy in targets:
            html = frames.typing(copy, owner.name)
            broker.publish(Delivery(channel=events.ext_channel(copy.extension_id), html=html))
    return len(targets)


# --- read receipts -----------------------------------------------------------------------


def sender_copy(reader: Extension, message: Message) -> tuple[Extension, Message] | None:
    """The colleague who sent ``message`` to ``reader``, and their own copy of it."""
    if message.direction != Direction.INBOUND:
        return None
    sender = colleagues_by_address(reader, [message.from_address]).get(message.from_address)
    if sender is None:
        return None
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


# --- publishing message changes --------------------------------------------------------


def publish_message_changes(
    extension: Extension, message_ids: list[int], reason: str, pending_push_id: int | None = None
) -> bool:
    """Push what changed to the extension's other tabs, and read receipts to senders.

    Returns False when there was nothing (left) to push.

    ``pending_push_id`` names the change's outbox row: it is deleted in the transaction
    that logs the frames, and when it is already gone someone else (the sweeper, or
    the announcing process) pushed this change, so nothing is logged twice.
    """
    if pending_push_id is not None:
        claimed = db.session.execute(delete(PendingPush).where(PendingPush.id == pending_push_id))
        if claimed.rowcount != 1:
            db.session.rollback()
            return False
    messages = list(
        db.session.scalars(
            select(Message).where(Message.id.in_(message_ids), Message.extension_id == extension.id)
        )
    )
    if not messages:
        db.session.commit()  # gone since (deleted extension): nothing to push
        return False
    with frames.rendering():
        frame = frames.message_changes(extension, messages, reason)
        outgoing = [(events.ext_channel(extension.id), "messages", frame.html, frame.notice)]
        if reason == "read":
            for sender, copies in record_read_receipts(extension, messages).values():
                html = frames.read_receipts(sender, copies)
                outgoing.append((events.ext_channel(sender.id), "read_receipt", html, None))
    # Counter rows are locked in one order so two transactions never wait on each other,
    # and only from the first number taken to the commit.
    outgoing.sort(key=lambda item: item[0])
    seqs = [events.append(channel, kind, html) for channel, kind, html, _ in outgoing]
    db.session.commit()
    broker = get_broker()
    with frames.rendering():
        for (channel, _, html, notice), seq in zip(outgoing, seqs, strict=True):
            broker.publish(numbered(channel, html, seq, notice))
    return True


def on_messages_changed(
    extension: Extension, message_ids=(), reason: str = "", pending_push_id=None, **_
) -> None:
    """``messages_changed`` receiver: a push failure must never fail the change itself.

    The change's outbox row survives a failure, so the sweeper tries again later.
    """
    if "realtime" not in current_app.extensions:
        return
    try:
        publish_message_changes(extension, list(message_ids), reason, pending_push_id)
    except Exception:
        db.session.rollback()
        log.exception("could not push %s of messages %s", reason, list(message_ids)[:20])


def push_leftovers(now: datetime | None = None, older_than: timedelta = LEFTOVER_AGE) -> int:
    """Push the changes whose push was lost (a crash, a failed push); return how many.

    Only rows older than ``older_than``: a younger one is most likely being pushed by the
    process that announced it. Rows past ``LEFTOVER_GIVE_UP`` are dropped with a warning
    (a page reload shows their state anyway); failures stay for the next sweep.
    """
    now = now or utcnow()
    leftovers = db.session.scalars(
        select(PendingPush)
        .where(PendingPush.created_at <= now - older_than)
        .order_by(PendingPush.id)
        .limit(LEFTOVER_BATCH)
    ).all()
    give_up = now - LEFTOVER_GIVE_UP
    plan = [
        (p.id, p.extension_id, list(p.message_ids), p.reason, p.created_at <= give_up)
        for p in leftovers
    ]
    db.session.rollback()
    pushed = 0
    for pending_id, extension_id, message_ids, reason, too_old in plan:
        extension = db.session.get(Extension, extension_id)
        if too_old or extension is None:
            log.warning("dropping the push of %s messages %s", reason, message_ids[:20])
            db.session.execute(delete(PendingPush).where(PendingPush.id == pending_id))
            db.session.commit()
            continue
        try:
            pushed += publish_message_changes(extension, message_ids, reason, pending_id)
        except Exception:
            db.session.rollback()
            log.exception("push of leftover %s (messages %s) failed", reason, message_ids[:20])
    return pushed


def stamp() -> str:
    """An id for one-off frames (refresh requests) that the page tells apart."""
    return utcnow().strftime("%Y%m%d%H%M%S%f")
