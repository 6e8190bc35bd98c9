"""Real-time bookkeeping: the per-channel event log for catch-up, and read receipts.

A *channel* is what one websocket listens to: ``ext:<extension id>`` (one mailbox) or
``queue:<queue id>`` (a shared inbox). Each channel numbers its events 1, 2, 3...
with no gaps and in commit order, so a reconnecting client that says "I saw 41" gets
exactly 42 onwards, even after a server restart.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from widget.extensions import db
from widget.models.types import UTCDateTime, utcnow


class RealtimeChannel(db.Model):
    """The sequence counter of one channel.

    Taking the next number is one ``UPDATE ... SET last_seq = last_seq + 1``: the row lock
    (PostgreSQL) or the write lock (SQLite) holds it until commit, so numbers are handed
    out in the order transactions commit and a reader never sees 43 before 42.
    """

    __tablename__ = "realtime_channels"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)


class RealtimeEvent(db.Model):
    """One pushed change, kept as the out-of-band HTML the live clients received."""

    __tablename__ = "realtime_events"
    __table_args__ = (UniqueConstraint("channel", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(32))
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReadReceipt(db.Model):
    """A colleague read my message: ``message_id`` is the sender's own (outbound) copy.

    Each mailbox holds its own copy of an internal message; the receipt is recorded
    on the sender's copy so "Read by NAME" renders from the sender's mailbox alone.
    """

    __tablename__ = "read_receipts"
    __table_args__ = (UniqueConstraint("message_id", "reader_extension_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    reader_extension_id: Mapped[int] = mapped_column(
        ForeignKey("extensions.id", ondelete="CASCADE")
    )
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PendingPush(db.Model):
    """A committed change of messages whose push is not logged yet: the real-time outbox.

    Written in the change's own transaction (``widget.inbox.announce``) and deleted in
    the transaction that logs its frames, so a crash or a failed push in between leaves
    it here for ``realtime.tasks.push_pending`` instead of losing the push.
    """

    __tablename__ = "realtime_pending_pushes"

    id: Mapped[int] = mapped_column(primary_key=True)
    extension_id: Mapped[int] = mapped_column(ForeignKey("extensions.id", ondelete="CASCADE"))
    message_ids: Mapped[list[int]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
