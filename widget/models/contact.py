"""Address-book contacts: the company directory and each user's personal contacts."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from widget.extensions import db
from widget.models.types import UTCDateTime, str_enum, utcnow


class ContactSource(enum.StrEnum):
    DIRECTORY = "directory"  # shared with the whole account
    PERSONAL = "personal"  # visible to its owner extension only


class Contact(db.Model):
    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_account_owner", "account_id", "owner_extension_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    owner_extension_id: Mapped[int | None] = mapped_column(
        ForeignKey("extensions.id", ondelete="CASCADE")
    )
    source: Mapped[ContactSource] = mapped_column(str_enum(ContactSource))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    company: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    phones: Mapped[list[ContactPhone]] = relationship(
        back_populates="contact", cascade="all, delete-orphan"
    )

    @property
    def name(self) -> str:
        return display_name(self.first_name, self.last_name, self.company)


def display_name(first_name: str | None, last_name: str | None, company: str | None) -> str:
    """Return "First Last", or the company when the contact has no personal name."""
    return " ".join(p for p in (first_name, last_name) if p) or (company or "")


class ContactPhone(db.Model):
    __tablename__ = "contact_phones"
    __table_args__ = (UniqueConstraint("contact_id", "e164"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    e164: Mapped[str] = mapped_column(String(20), index=True)
    label: Mapped[str] = mapped_column(String(32), default="mobile")

    contact: Mapped[Contact] = relationship(back_populates="phones")
