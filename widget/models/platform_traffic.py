"""What every process must know of its traffic with a telephony platform.

A rate-limit block (RingCentral answered 429, or a throttling group's budget is spent)
and the notifications already received are shared through the database when no Redis
is configured, so a second worker neither hammers a blocked group nor takes a replay.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from widget.extensions import db
from widget.models.types import UTCDateTime


class PlatformRateBlock(db.Model):
    """Until when one user's throttling group must not be called."""

    __tablename__ = "platform_rate_blocks"
    __table_args__ = (UniqueConstraint("user_key", "throttle_group"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_key: Mapped[str] = mapped_column(String(64))
    throttle_group: Mapped[str] = mapped_column(String(16))
    # Seconds since the epoch: wall-clock time is what processes share (not monotonic).
    blocked_until: Mapped[float] = mapped_column(Float)


class WebhookReceipt(db.Model):
    """A notification taken once: its ``uuid`` seen again is a replay."""

    __tablename__ = "webhook_receipts"

    notification_uuid: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
