"""SMS templates: company-wide ones (edited by admins) and each user's personal ones."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from widget.extensions import db
from widget.models.types import UTCDateTime, str_enum, utcnow


class TemplateScope(enum.StrEnum):
    COMPANY = "company"  # shared by the whole account, edited by admins
    PERSONAL = "personal"  # visible to and edited by its owner only


# As the reference product: 50 company templates per account, 25 personal per user.
TEMPLATE_LIMITS = {TemplateScope.COMPANY: 50, TemplateScope.PERSONAL: 25}
TEMPLATE_BODY_LIMIT = 1000
TEMPLATE_TITLE_LIMIT = 80
# The one position a template may hold while it swaps places with its neighbour: unique
# constraints are checked row by row on SQLite and PostgreSQL, so a swap needs a free slot.
PARKING_POSITION = -1


class SmsTemplate(db.Model):
    """One template of one list; a list is (account, scope, owner) ordered by position.

    Positions are dense (0..n-1) and unique per list, so the unique constraint and the
    upper bound on ``position`` keep a list within its limit even under concurrency.
    """

    __tablename__ = "sms_templates"
    __table_args__ = (
        UniqueConstraint("account_id", "scope", "owner_key", "position"),
        CheckConstraint(
            "(scope = 'company' AND owner_extension_id IS NULL AND owner_key = 0)"
            " OR (scope = 'personal' AND owner_extension_id = owner_key)",
            name="owner_matches_scope",
        ),
        CheckConstraint(
            f"position >= {PARKING_POSITION} AND ("
            f"(scope = 'company' AND position < {TEMPLATE_LIMITS[TemplateScope.COMPANY]})"
            f" OR (scope = 'personal' AND position < {TEMPLATE_LIMITS[TemplateScope.PERSONAL]}))",
            name="position_within_limit",
        ),
        Index("ix_sms_templates_owner", "owner_extension_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    scope: Mapped[TemplateScope] = mapped_column(str_enum(TemplateScope))
    owner_extension_id: Mapped[int | None] = mapped_column(
        ForeignKey("extensions.id", ondelete="CASCADE")
    )
    # owner_extension_id with 0 for company templates: SQL unique constraints never
    # consider two NULLs equal, so the list key needs a column that is never NULL.
    owner_key: Mapped[int] = mapped_column(default=0)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(TEMPLATE_TITLE_LIMIT))
    body: Mapped[str] = mapped_column(Text)
    # The platform's id when the platform keeps templates too (RingCentral): both sides
    # are one set of templates, reconciled by this id.
    platform_template_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
