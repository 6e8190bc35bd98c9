"""The local CRM's tables (``local_crm_*``): a small CRM kept in Sidetalk's own database.

Every row belongs to one Sidetalk account (``account_id``): the local CRM of one company
never shows another company's records. Record ids seen by the rest of Sidetalk are
typed references (``contact-3``, ``lead-1``, ``account-2``, ``opportunity-5``) so ids of
different tables never collide.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from widget.extensions import db
from widget.models.types import UTCDateTime, utcnow


class LocalCrmAccount(db.Model):
    """A company in the local CRM."""

    __tablename__ = "local_crm_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    phone_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    opportunities: Mapped[list[LocalCrmOpportunity]] = relationship(
        back_populates="crm_account", order_by="LocalCrmOpportunity.id"
    )


class LocalCrmContact(db.Model):
    """A person at a company (optionally attached to a local CRM account)."""

    __tablename__ = "local_crm_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    phone_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    crm_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("local_crm_accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    crm_account: Mapped[LocalCrmAccount | None] = relationship()

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class LocalCrmLead(db.Model):
    """A prospect not yet qualified into a contact."""

    __tablename__ = "local_crm_leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    company: Mapped[str] = mapped_column(String(200), default="")
    phone_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class LocalCrmOpportunity(db.Model):
    """A deal with a local CRM account (offered as "Related to")."""

    __tablename__ = "local_crm_opportunities"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    crm_account_id: Mapped[int] = mapped_column(
        ForeignKey("local_crm_accounts.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(64), default="Prospecting")
    is_closed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    crm_account: Mapped[LocalCrmAccount] = relationship(back_populates="opportunities")


class LocalCrmActivity(db.Model):
    """A logged conversation-day. ``log_key`` is unique per account: creating twice is
    impossible, which is what makes the connector's create idempotent."""

    __tablename__ = "local_crm_activities"
    __table_args__ = (UniqueConstraint("account_id", "log_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    log_key: Mapped[str] = mapped_column(String(255))
    record_type: Mapped[str] = mapped_column(String(32))
    record_ref: Mapped[str] = mapped_column(String(64), index=True)
    record_name: Mapped[str] = mapped_column(String(255), default="")
    related_to_ref: Mapped[str | None] = mapped_column(String(64))
    related_to_title: Mapped[str | None] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    body_format: Mapped[str] = mapped_column(String(32), default="text/html")
    activity_date: Mapped[date] = mapped_column(Date)
    message_type: Mapped[str] = mapped_column(String(16), default="SMS")
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    logged_by: Mapped[str | None] = mapped_column(String(200))
    revision_count: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
