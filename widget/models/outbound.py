"""Sending: idempotent send requests, SMS opt-outs and pager groups.

The unique constraints are the guarantees: one send per submitted form (``send_requests``),
one opt-out per (account, our number, their number), one membership per group and address.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from widget.extensions import db
from widget.models.types import UTCDateTime, utcnow


class SendRequest(db.Model):
    """One submitted compose, reply, fax or retry form, claimed by its idempotency key.

    The row is committed *before* the platform is called, so a second submit of the same
    form finds it and gets the first result instead of sending again. ``outcome`` holds
    what the send produced (message and conversation ids, per-recipient errors).
    """

    __tablename__ = "send_requests"
    __table_args__ = (UniqueConstraint("extension_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    extension_id: Mapped[int] = mapped_column(ForeignKey("extensions.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[dict] = mapped_column(JSON, default=dict)


class PendingSend(db.Model):
    """An outbound message the platform could not take yet (rate limit, 5xx, timeout).

    The message itself is stored (Queued, with its ``status_note`` saying why it waits);
    this row keeps what to send again and when. Deleted once the platform took it or the
    message failed for good.
    """

    __tablename__ = "pending_sends"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    payload: Mapped[dict] = mapped_column(JSON)  # the Outbound, parts as media paths
    attempts: Mapped[int] = mapped_column(default=0)  # failures that count (not rate limits)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SmsOptOut(db.Model):
    """Their number replied STOP to our number: no more SMS from that number until START."""

    __tablename__ = "sms_opt_outs"
    __table_args__ = (UniqueConstraint("account_id", "our_number", "their_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    our_number: Mapped[str] = mapped_column(String(20))
    their_number: Mapped[str] = mapped_column(String(20), index=True)
    keyword: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PagerGroup(db.Model):
    """A named pager conversation between extensions, possibly with outside numbers.

    Every internal member has their own conversation row (per-extension mailboxes); those
    rows carry ``platform_conversation_id`` so messages find the group's thread even after
    its members change.
    """

    __tablename__ = "pager_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    created_by_extension_id: Mapped[int | None] = mapped_column(
        ForeignKey("extensions.id", ondelete="SET NULL")
    )
    platform_conversation_id: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[PagerGroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="PagerGroupMember.id"
    )


class PagerGroupMember(db.Model):
    """An extension (by extension number) or an outside number (E.164) in a pager group."""

    __tablename__ = "pager_group_members"
    __table_args__ = (
        UniqueConstraint("group_id", "address"),
        # Inbound texts ask "is this number in any group?": answered from the index alone.
        Index("ix_pager_group_members_address", "address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("pager_groups.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(32))
    # Set for members who are extensions of the account; None for outside numbers.
    extension_id: Mapped[int | None] = mapped_column(
        ForeignKey("extensions.id", ondelete="CASCADE")
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[PagerGroup] = relationship(back_populates="members")

    @property
    def is_internal(self) -> bool:
        return self.extension_id is not None
