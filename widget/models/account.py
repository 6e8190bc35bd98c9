"""The telephony account, its extensions (users) and phone numbers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from widget.extensions import db
from widget.models.types import UTCDateTime, utcnow

USER = "User"
DEPARTMENT = "Department"


class Account(db.Model):
    """A company account on a telephony platform (RingCentral or the sandbox)."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("platform", "platform_account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    platform_account_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    main_number: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    extensions: Mapped[list[Extension]] = relationship(back_populates="account")


class Extension(db.Model):
    """A user of the account: the owner of one mailbox of messages."""

    __tablename__ = "extensions"
    __table_args__ = (
        UniqueConstraint("account_id", "extension_number"),
        UniqueConstraint("account_id", "platform_extension_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    platform_extension_id: Mapped[str] = mapped_column(String(64))
    extension_number: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Which sign-in generation is valid. Signing out bumps it: every session cookie and
    # widget token naming an older one stops working at once, in every browser (a
    # signed token cannot be recalled one by one).
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # "User" for a person; "Department" for a queue's mailbox (widget.models.queue),
    # which nobody signs in as and no directory lists.
    kind: Mapped[str] = mapped_column(String(16), default=USER, server_default=USER)

    account: Mapped[Account] = relationship(back_populates="extensions")
    phone_numbers: Mapped[list[PhoneNumber]] = relationship(
        back_populates="extension", order_by="PhoneNumber.id"
    )

    @classmethod
    def people(cls):
        """The clause that keeps persons: extensions someone signs in as (not queues)."""
        return cls.kind == USER

    @property
    def is_queue_mailbox(self) -> bool:
        return self.kind == DEPARTMENT

    @property
    def first_name(self) -> str:
        return self.name.split(" ", 1)[0]

    @property
    def sms_numbers(self) -> list[PhoneNumber]:
        return [n for n in self.phone_numbers if n.sms_enabled]


class PhoneNumber(db.Model):
    """A phone number of the account, assigned to an extension or the company."""

    __tablename__ = "phone_numbers"
    __table_args__ = (UniqueConstraint("account_id", "e164"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    extension_id: Mapped[int | None] = mapped_column(
        ForeignKey("extensions.id", ondelete="SET NULL"), index=True
    )
    e164: Mapped[str] = mapped_column(String(20), index=True)
    usage_type: Mapped[str] = mapped_column(String(32), default="DirectNumber")
    sms_enabled: Mapped[bool] = mapped_column(default=True)
    fax_enabled: Mapped[bool] = mapped_column(default=True)

    extension: Mapped[Extension | None] = relationship(back_populates="phone_numbers")
