"""Connector manifests edited by an account's admins, kept as numbered versions.

Version 0 is the manifest bundled with the connector and never stored. Every publish and
every rollback appends a row; the highest version of (account, connector) is the active
one, so history is never rewritten and the unique constraint settles concurrent
publishes (the loser retries with the next number).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from widget.extensions import db
from widget.models.account import Extension
from widget.models.types import UTCDateTime, utcnow

BUNDLED_VERSION = 0


class ManifestVersion(db.Model):
    """One published version of a connector's manifest for one account."""

    __tablename__ = "manifest_versions"
    __table_args__ = (
        UniqueConstraint("account_id", "connector_id", "version"),
        CheckConstraint("version > 0", name="stored_versions_are_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    connector_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    # None means "the bundled manifest": a rollback to version 0 follows the connector's
    # own file (and its upgrades) instead of freezing a copy of it.
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Set when this version restores an earlier one (a rollback), for the history list.
    restored_version: Mapped[int | None]
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("extensions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    published_by: Mapped[Extension | None] = relationship()
