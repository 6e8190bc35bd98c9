"""CRM logging: each user's CRM connection, the account's policy, and what was logged.

The guarantees live in unique constraints, not in application checks:

- ``crm_activities`` (extension, conversation, log_date, record_id) is unique among
  daily activities: one CRM activity per conversation-day per record, however many
  workers or retries; (queue_conversation_id, record_id) is unique: a shared-inbox case
  is one CRM activity per record for its whole life, whoever logs it;
- ``message_logs`` (message_id, record_id) is unique: a message is logged once per record;
- ``crm_autolog_checks`` (message_id) is unique: auto-log looks at a message once.

See "CRM logging: what is guaranteed" in README.md for how the CRM side is kept to one activity.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from widget.extensions import db
from widget.models.types import UTCDateTime, str_enum, utcnow


class ConflictPolicy(enum.StrEnum):
    """What auto-log does when a number matches several CRM records."""

    ASK = "ask"  # mark the conversation "needs a decision" and wait for the user
    MOST_RECENT = "most_recent"  # the most recently updated record
    EARLIEST_CREATED = "earliest_created"
    ALPHABETICAL = "alphabetical"  # by record name


class ActivityState(enum.StrEnum):
    PENDING = "pending"  # the CRM does not have the latest content yet
    WRITTEN = "written"  # the CRM has the latest revision
    FAILED = "failed"  # stopped; ``last_error`` says why; the user may retry


class MessageLogState(enum.StrEnum):
    PENDING = "pending"  # linked to its activity, not yet in the CRM body
    LOGGED = "logged"  # part of a body the CRM accepted


class AutoLogOutcome(enum.StrEnum):
    LOGGED = "logged"
    NO_MATCH = "no_match"
    NEEDS_DECISION = "needs_decision"
    SKIPPED = "skipped"  # not a loggable message (pager, deleted, before auto-log was on)
    FAILED = "failed"  # the CRM refused the lookup for good (e.g. reconnect needed)


class CrmConnection(db.Model):
    """One user's CRM: which connector, its encrypted credentials and logging settings."""

    __tablename__ = "crm_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    extension_id: Mapped[int] = mapped_column(
        ForeignKey("extensions.id", ondelete="CASCADE"), unique=True
    )
    connector_id: Mapped[str] = mapped_column(String(64))
    # Fernet token of the JSON credentials (widget/crm_logging/credentials.py); never logged.
    encrypted_credentials: Mapped[str | None] = mapped_column(Text)
    # Non-secret per-connection connector settings (e.g. a sandbox org's login URL).
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The CRM user, fetched once at connect time so logging never asks the CRM who we are.
    user_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    auto_log: Mapped[bool] = mapped_column(default=False)
    open_log_page: Mapped[bool] = mapped_column(default=False)
    # Auto-log only looks at messages created at or after this instant.
    autolog_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CrmAccountSettings(db.Model):
    """Account-wide logging policy, set by an admin."""

    __tablename__ = "crm_account_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    conflict_policy: Mapped[ConflictPolicy] = mapped_column(
        str_enum(ConflictPolicy), default=ConflictPolicy.ASK
    )
    # Auto-log on for everyone of the account, whatever each user's own switch says.
    force_auto_log: Mapped[bool] = mapped_column(default=False, server_default=false())


class CrmActivity(db.Model):
    """One CRM activity: a conversation's messages of one local day, logged to one record;
    or, with ``queue_conversation_id``, a whole shared-inbox case (every message, its
    handling history and notes) logged to one record, ``log_date`` being its first day.

    The row is the *intent*: it is committed before any CRM call. ``revision`` grows with
    every change the CRM should see; ``written_revision`` is the last one it accepted, so
    ``revision > written_revision`` is the dirty flag that coalesces bursts. A worker owns
    the row while ``claimed_until`` is in the future (compare-and-set on ``claim_token``).
    """

    __tablename__ = "crm_activities"
    __table_args__ = (
        # Daily activities: one per conversation-day-record of a user. A case's activity
        # is not daily (two cases may share a day), so the rule leaves those rows out.
        Index(
            "uq_crm_activities_daily",
            "extension_id",
            "conversation_id",
            "log_date",
            "record_id",
            unique=True,
            sqlite_where=text("queue_conversation_id IS NULL"),
            postgresql_where=text("queue_conversation_id IS NULL"),
        ),
        UniqueConstraint("queue_conversation_id", "record_id"),
        Index("ix_crm_activities_state", "state", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    extension_id: Mapped[int] = mapped_column(ForeignKey("extensions.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    # The shared-inbox case this activity logs whole (None: a daily activity).
    queue_conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("queue_conversations.id", ondelete="CASCADE")
    )
    connector_id: Mapped[str] = mapped_column(String(64))
    log_date: Mapped[date] = mapped_column(Date)
    record_id: Mapped[str] = mapped_column(String(64))
    record_name: Mapped[str] = mapped_column(String(255), default="")
    record_type: Mapped[str] = mapped_column(String(64), default="")
    # The conversation's number the record matched (names the other party in the body).
    record_phone: Mapped[str | None] = mapped_column(String(32))
    related_to_id: Mapped[str | None] = mapped_column(String(64))
    additional_submission: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    crm_log_id: Mapped[str | None] = mapped_column(String(255))
    crm_log_url: Mapped[str | None] = mapped_column(String(1000))
    state: Mapped[ActivityState] = mapped_column(
        str_enum(ActivityState), default=ActivityState.PENDING
    )
    revision: Mapped[int] = mapped_column(default=1)
    written_revision: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Coalescing: when the planned write is due, and since when the CRM has been behind.
    write_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dirty_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set (and committed) just before a CRM create: a create that may have landed.
    create_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The record the CRM still has this activity under, after the user moved it to
    # ``record_id`` ("re-associate"); cleared once the CRM is told.
    moved_from_record_id: Mapped[str | None] = mapped_column(String(64))
    # A case's activity: the newest message of the case when the user last logged it
    # from the panel. Every message up to it is in the log or was left out (unchecked)
    # on purpose; later updates add only newer messages, so the choice stays.
    chosen_through_message_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    written_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    message_logs: Mapped[list[MessageLog]] = relationship(back_populates="activity")

    @property
    def log_key(self) -> str:
        """Sidetalk's idempotency key for the CRM (see connectors.records.MessageLogWrite)."""
        return self.key_for_record(self.record_id)

    def key_for_record(self, record_id: str) -> str:
        """The key this activity has (or had) under ``record_id``: a move finds the CRM's
        log under the record it came from with it."""
        if self.queue_conversation_id is not None:
            return case_log_key(self.queue_conversation_id, self.log_date, record_id)
        return log_key(self.conversation_id, self.log_date, record_id)


def log_key(conversation_id: int, log_date: date, record_id: str) -> str:
    return f"{conversation_id}/{log_date.isoformat()}/{record_id}"


def case_log_key(case_id: int, log_date: date, record_id: str) -> str:
    """The key of a case's activity: the same three-part shape as a day's (connectors
    that reconcile by date and record parse it), a ``case-`` first part."""
    return f"case-{case_id}/{log_date.isoformat()}/{record_id}"


class MessageLog(db.Model):
    """Links a message to the CRM activity (and record) it is logged in."""

    __tablename__ = "message_logs"
    __table_args__ = (UniqueConstraint("message_id", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    record_id: Mapped[str] = mapped_column(String(64))
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("crm_activities.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[MessageLogState] = mapped_column(
        str_enum(MessageLogState), default=MessageLogState.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    logged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    activity: Mapped[CrmActivity] = relationship(back_populates="message_logs")


class ConversationLogDecision(db.Model):
    """Auto-log's question about a number of a conversation that matches several records.

    ``record_id`` is None while the conversation "needs a decision"; once the user logs
    it to one of the candidates, auto-log keeps using that record for this number.
    """

    __tablename__ = "conversation_log_decisions"
    __table_args__ = (UniqueConstraint("conversation_id", "phone_e164"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    extension_id: Mapped[int] = mapped_column(ForeignKey("extensions.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    phone_e164: Mapped[str] = mapped_column(String(32))
    candidate_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    record_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def needs_decision(self) -> bool:
        return self.record_id is None


class AutoLogCheck(db.Model):
    """Auto-log looked at this message (once): what it decided."""

    __tablename__ = "crm_autolog_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    extension_id: Mapped[int] = mapped_column(
        ForeignKey("extensions.id", ondelete="CASCADE"), index=True
    )
    outcome: Mapped[AutoLogOutcome] = mapped_column(str_enum(AutoLogOutcome))
    detail: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
