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

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from widget.access import mailbox_of
from widget.errors import Conflict
from widget.extensions import db
from widget.inbox.service import UNREAD_COUNTS
from widget.models import (
    Conversation,
    Extension,
    Message,
    PendingPush,
)
from widget.models.types import utcnow
from widget.realtime import events, frames
from widget.realtime.broker import Broker, Delivery
from widget.realtime.colleagues import record_read_receipts, typing_targets

log = logging.getLogger(__name__)

# The outbox sweeper (``push_leftovers``): rows this old were not pushed by the process
# that announced them; past the give-up age a push is pointless (a reload shows it).
LEFTOVER_AGE = timedelta(seconds=30)
LEFTOVER_GIVE_UP = timedelta(days=1)
LEFTOVER_BATCH = 500

# A staged change touching more conversations than this is pushed as "reload your views".
STAGED_FRAME_CONVERSATIONS = 30

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

    ``Conflict`` when nobody in the conversation is a colleague: typing is never shown
    to outside numbers. Repeats faster than the gate allows are dropped (0 told).
    """
    targets = typing_targets(owner, conversation)
    if not targets:
        raise Conflict(
            "Typing is only shared with colleagues, and this conversation has none.",
        )
    if not current_app.extensions["realtime_typing_gate"].allow(owner.id, conversation.id):
        return 0
    broker = get_broker()
    with frames.rendering():
        for copy in targets:
            html = frames.typing(copy, owner.name)
            broker.publish(Delivery(channel=events.ext_channel(copy.extension_id), html=html))
    return len(targets)


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
            select(Message).where(Message.id.in_(message_ids), mailbox_of(extension).where(Message))
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


def stage_message_changes(
    extension: Extension, messages=(), reason: str = "", read_along=None, **_
) -> tuple[str, str, int, dict | None] | None:
    """``messages_staged`` receiver: render the frame once and log it in the change's own
    transaction; ``on_messages_changed`` publishes it after the commit.

    The logged event is the change's outbox: a crash after the commit loses only the
    live publish, and every client catches up from the log (on reconnect, or at its
    next periodic check). Receipts are not staged: only new and updated messages are.
    """
    if "realtime" not in current_app.extensions:
        return None
    messages = list(messages)
    channel = events.ext_channel(extension.id)
    # Caught inside the rendering context: leaving a (test) request context with an
    # error rolls the session back, and this change must commit whatever happens here.
    with frames.rendering():
        try:
            if len({m.conversation_id for m in messages}) > STAGED_FRAME_CONVERSATIONS:
                # A sync page touching many conversations: reloading the views is cheaper
                # for the page than applying a frame the size of the page.
                frame = frames.Frame(html=frames.refresh(extension, stamp()))
            else:
                # The statement that stored them may have read the counts and names.
                known = read_along or {}
                frame = frames.message_changes(
                    extension, messages, reason, known.get(UNREAD_COUNTS), known.get(frames.NAMES)
                )
        except SQLAlchemyError:
            # The database failed under the change itself (a restart, a lost connection):
            # its transaction cannot commit, so the change fails as a whole (a 503), rather
            # than going on to meet a dead transaction in the next step (a 500).
            raise
        except Exception:
            # A push must never fail the change: None makes the announcer fall back to
            # the outbox row, which the sweeper pushes later.
            log.exception("could not render the push of %s messages", reason)
            return None
    # Numbered last: the counter row stays locked only from here to the commit.
    seq = events.append(channel, "messages", frame.html)
    return channel, frame.html, seq, frame.notice


def on_messages_changed(
    extension: Extension,
    message_ids=(),
    reason: str = "",
    pending_push_id=None,
    staged=None,
    **_,
) -> None:
    """``messages_changed`` receiver: a push failure must never fail the change itself.

    The change's outbox row survives a failure, so the sweeper tries again later.
    """
    if "realtime" not in current_app.extensions:
        return
    if staged is not None:
        broker = get_broker()
        with frames.rendering():
            for channel, html, seq, notice in staged:
                broker.publish(numbered(channel, html, seq, notice))
        return
    try:
        publish_message_changes(extension, list(message_ids), reason, pending_push_id)
    except Exception:
        db.session.rollback()
        log.exception("could not push %s of messages %s", reason, list(message_ids)[:20])


def push_log_status(_sender=None, extension_id: int = 0, conversation_id: int = 0, **_) -> None:
    """``log_state_changed`` receiver: push the conversation's new log status to the
    user's widgets. The write is committed already: a failed push must never fail it
    (a thread opened later loads the status anyway)."""
    try:
        extension = db.session.get(Extension, extension_id)
        conversation = db.session.get(Conversation, conversation_id)
        if extension is None or conversation is None:
            return
        with frames.rendering():
            html = frames.log_status(extension, conversation)
        publish(events.ext_channel(extension.id), "log-status", html)
    except Exception:
        log.exception("could not push the log status of conversation %s", conversation_id)
        db.session.rollback()


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
