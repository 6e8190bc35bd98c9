"""A queue case mirrored to a platform's own thread (RingCentral's message threads)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from widget.extensions import db
from widget.models.types import UTCDateTime, utcnow


class QueueThreadLink(db.Model):
    """Which platform thread a case is, and how far its events were told to it.

    ``mirrored_event_id`` is the last ``QueueEvent`` the platform accepted: the case's
    events are the outbox (committed with each change), this row is the cursor, advanced
    and committed after each call, so a crash repeats at most the one call in flight.
    """

    __tablename__ = "queue_thread_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_conversation_id: Mapped[int] = mapped_column(
        ForeignKey("queue_conversations.id", ondelete="CASCADE"), unique=True
    )
    thread_id: Mapped[str | None] = mapped_column(String(64))
    mirrored_event_id: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The sweeper leaves the case alone until then (a platform asked to wait, or a try failed).
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
