"""Scheduled send: a text written now, sent by the worker at the chosen time.

A row is written from Compose (``recipients``) or from a thread (``conversation_id``) and
moves scheduled -> sending -> sent (or failed), or scheduled -> cancelled. The worker
claims a row by moving it from scheduled to sending in one conditional UPDATE, so two
workers never both send it; the send itself goes through the compose path with the
key ``scheduled-<id>``, so a retry after a crash replays the first send instead of
sending again.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from widget.extensions import db
from widget.models.types import UTCDateTime, str_enum, utcnow


class ScheduleState(enum.StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ScheduledMessage(db.Model):
    """A text (or picture) to send later, in one extension's name."""

    __tablename__ = "scheduled_messages"
    __table_args__ = (Index("ix_scheduled_messages_due", "state", "send_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    extension_id: Mapped[int] = mapped_column(
        ForeignKey("extensions.id", ondelete="CASCADE"), index=True
    )
    # From a thread: the conversation answered. From Compose: None, and ``recipients``.
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    sender: Mapped[str | None] = mapped_column(String(20))  # our number; None: the default
    text: Mapped[str] = mapped_column(Text)
    # An MMS picture, prepared when scheduled (checked, resized to fit) and kept in the
    # media store by its content hash until the worker sends it.
    picture_path: Mapped[str | None] = mapped_column(String(80))
    picture_type: Mapped[str | None] = mapped_column(String(40))
    picture_name: Mapped[str | None] = mapped_column(String(120))
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[ScheduleState] = mapped_column(
        str_enum(ScheduleState), default=ScheduleState.SCHEDULED
    )
    # What happened, in words, once it went (or did not): shown in the conversation.
    result: Mapped[str | None] = mapped_column(Text)
    sent_message_ids: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def send_key(self) -> str:
        """The idempotency key of its one send (``IDEMPOTENCY_KEY`` accepts it)."""
        return f"scheduled-{self.id:08d}"
