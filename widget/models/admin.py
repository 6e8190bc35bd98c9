"""What the admin console stores: its audit log and admins' unpublished manifest drafts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from widget.extensions import db
from widget.models.types import UTCDateTime, utcnow


class AdminAuditEntry(db.Model):
    """One admin change: who, when, what, and the diff of what changed.

    The actor's name is copied: the log must still say who did it after the extension
    is gone (its id is then set to NULL).
    """

    __tablename__ = "admin_audit_entries"
    __table_args__ = (Index("ix_admin_audit_account_time", "account_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("extensions.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500))
    diff: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ManifestDraft(db.Model):
    """An admin's unpublished edit of a connector manifest (text: it may not even parse).

    ``base_version`` is the version the admin started from: publishing over a newer
    version published meanwhile by someone else is a conflict, never a silent overwrite.
    """

    __tablename__ = "manifest_drafts"
    __table_args__ = (UniqueConstraint("account_id", "connector_id", "author_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    connector_id: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int] = mapped_column(ForeignKey("extensions.id", ondelete="CASCADE"))
    document_text: Mapped[str] = mapped_column(Text)
    base_version: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
