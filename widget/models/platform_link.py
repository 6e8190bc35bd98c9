"""What Sidetalk keeps per user of an OAuth telephony platform (RingCentral).

One row per extension: its sealed tokens, the lease that makes one refresh happen at a
time across processes, where its message sync stands, and its webhook subscription.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from widget.extensions import db
from widget.models.types import UTCDateTime, utcnow


class PlatformLink(db.Model):
    __tablename__ = "platform_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    extension_id: Mapped[int] = mapped_column(
        ForeignKey("extensions.id", ondelete="CASCADE"), unique=True
    )
    # Access and refresh token, sealed (widget.sealing); never readable without the key.
    sealed_tokens: Mapped[str | None] = mapped_column(Text)
    # Bumped with every new token pair: a process that waited on another's refresh sees
    # the change and uses the new pair instead of spending the (single-use) old one.
    token_version: Mapped[int] = mapped_column(default=0)
    refresh_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The platform refused our tokens (revoked, expired): the user must sign in again.
    reconnect_required: Mapped[bool] = mapped_column(default=False)
    sync_token: Mapped[str | None] = mapped_column(String(512))
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Older FSync pages still to fetch: the creation time to continue before.
    older_before: Mapped[str | None] = mapped_column(String(40))
    # Where this user's read of the account's message threads stopped (an ISync token).
    thread_sync_token: Mapped[str | None] = mapped_column(String(512))
    subscription_id: Mapped[str | None] = mapped_column(String(64), index=True)
    subscription_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SHA-256 of the Verification-Token given at subscription: enough to check, not to forge.
    verification_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def signed_in_extension_ids() -> list[int]:
    """Users whose platform sign-in still works: tokens kept, not refused since."""
    return list(
        db.session.scalars(
            select(PlatformLink.extension_id).where(
                PlatformLink.sealed_tokens.is_not(None),
                PlatformLink.reconnect_required.is_(False),
            )
        )
    )
