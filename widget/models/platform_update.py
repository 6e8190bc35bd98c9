"""The outbox of platform calls: a change to tell the platform, committed with the change."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from widget.extensions import db
from widget.models.types import UTCDateTime, str_enum, utcnow


class PlatformUpdateKind(enum.StrEnum):
    READ_STATUS = "read_status"
    AVAILABILITY = "availability"


class PendingPlatformUpdate(db.Model):
    """Messages whose read status or availability the platform has not been told yet.

    Written in the change's own transaction and deleted once the platform took the
    call, so a crash, a failed call or a platform asking to wait leaves it here for the
    sweeper. It names messages, not values: the call sends their state at call time,
    so a late retry never undoes a newer change.
    """

    __tablename__ = "platform_pending_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    extension_id: Mapped[int] = mapped_column(ForeignKey("extensions.id", ondelete="CASCADE"))
    kind: Mapped[PlatformUpdateKind] = mapped_column(str_enum(PlatformUpdateKind))
    message_ids: Mapped[list[int]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(default=0)
    # The sweeper leaves the row alone until then: the committing request is making the
    # call, or the platform asked to wait (Retry-After), or the last try failed.
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
