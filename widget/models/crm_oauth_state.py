"""Pending CRM OAuth sign-ins: the ``state`` of each popup flow, bound to its extension."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from widget.extensions import db
from widget.models.types import UTCDateTime, utcnow


class CrmOAuthState(db.Model):
    """One started OAuth flow, consumed (deleted) by its callback or expired.

    Only a SHA-256 of ``state`` is stored: the state itself travels in the popup's URLs,
    so a copy of the database does not let anyone finish someone else's sign-in. The
    PKCE verifier is useless without the authorization code and lives minutes.
    """

    __tablename__ = "crm_oauth_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    extension_id: Mapped[int] = mapped_column(
        ForeignKey("extensions.id", ondelete="CASCADE"), index=True
    )
    connector_id: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    # Choices made before signing in (Clio's region): kept as the connection's settings.
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
