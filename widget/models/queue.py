"""Shared SMS inboxes (queues): the queue, its members, its conversations and their events.

A queue owns a mailbox like a person does: it is backed by an extension of kind
``Department`` (RingCentral's call-queue extensions are the same), which holds the
queue's phone numbers, so the platform delivers a text to a queue number through the one
ingestion path, into a ``Conversation`` of that extension.

A ``QueueConversation`` is one *case* on such a conversation: it arrives, is claimed,
released, transferred, resolved. A customer writing after Resolve opens a new case on the
same ``Conversation`` (so the whole history stays one thread) that links to the previous
case. The guarantees are constraints, not application checks: at most one open case per
conversation (a partial unique index), and a claim is a conditional UPDATE that only the
first of any number of concurrent claimers can win.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from widget.extensions import db
from widget.models.account import Extension
from widget.models.types import UTCDateTime, str_enum, utcnow

NOTE_LIMIT = 2000


class ResolveReason(enum.StrEnum):
    """Why a case was resolved: what the agent picks, or the idle sweep's own reason."""

    RESOLVED = "Resolved"
    NO_RESPONSE = "No response"
    SPAM = "Spam"
    OTHER = "Other"
    TIMED_OUT = "Timed out"


class QueueEventKind(enum.StrEnum):
    """What happened to a case; ``NOTE`` is an internal note, never sent as SMS."""

    ARRIVED = "arrived"
    CLAIMED = "claimed"
    RELEASED = "released"
    TRANSFERRED = "transferred"
    RESOLVED = "resolved"
    TIMED_OUT = "timed_out"
    REOPENED = "reopened"
    OVERFLOWED = "overflowed"
    NOTE = "note"


class Queue(db.Model):
    """A shared inbox: a name, the numbers customers text, members, and its timeouts.

    A timeout of None is off. ``claim_timeout_minutes``: unclaimed this long → members
    are notified again and the case moves to ``overflow_queue_id`` if set.
    ``no_reply_timeout_minutes``: claimed with no agent reply this long → back to the
    queue. ``idle_resolve_hours``: no message this long → resolved "Timed out".
    """

    __tablename__ = "queues"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    # The queue's mailbox: conversations to its numbers belong to this extension.
    extension_id: Mapped[int] = mapped_column(
        ForeignKey("extensions.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # No column defaults: None means "off", so the defaults live in queues.manage.
    claim_timeout_minutes: Mapped[int | None]
    no_reply_timeout_minutes: Mapped[int | None]
    idle_resolve_hours: Mapped[int | None]
    overflow_queue_id: Mapped[int | None] = mapped_column(
        ForeignKey("queues.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mailbox: Mapped[Extension] = relationship(foreign_keys=[extension_id])
    members: Mapped[list[QueueMember]] = relationship(
        back_populates="queue", order_by="QueueMember.id", cascade="all, delete-orphan"
    )


class QueueMember(db.Model):
    """An extension in a queue; only available members are offered and notified."""

    __tablename__ = "queue_members"
    __table_args__ = (UniqueConstraint("queue_id", "extension_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"))
    extension_id: Mapped[int] = mapped_column(
        ForeignKey("extensions.id", ondelete="CASCADE"), index=True
    )
    available: Mapped[bool] = mapped_column(default=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    queue: Mapped[Queue] = relationship(back_populates="members")
    extension: Mapped[Extension] = relationship()


class QueueConversation(db.Model):
    """One case on a queue mailbox's conversation, from arrival to resolve."""

    __tablename__ = "queue_conversations"
    __table_args__ = (
        # At most one open case per conversation: two customer texts arriving at once
        # after a resolve open one case, not two.
        Index(
            "uq_queue_conversations_open",
            "conversation_id",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_queue_conversations_queue_open", "queue_id", "resolved_at", "claimed_by_id"),
        Index("ix_queue_conversations_claimer", "claimed_by_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    # The case before this one on the same conversation (the customer wrote after Resolve).
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("queue_conversations.id", ondelete="SET NULL")
    )
    # The message that opened the case: the case's messages are the conversation's from
    # this id up to the next case's first message (ids grow in insert order).
    first_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    claimed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("extensions.id", ondelete="SET NULL")
    )
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("extensions.id", ondelete="SET NULL")
    )
    resolve_reason: Mapped[ResolveReason | None] = mapped_column(str_enum(ResolveReason))
    resolve_text: Mapped[str | None] = mapped_column(String(500))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the case last entered the queue unclaimed (arrival, release, transfer to a
    # queue, overflow): the claim timeout counts from here.
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When available members were last told about it (arrival or a claim-timeout nudge).
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_customer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Since when the claimer owes the customer an answer: set by a claim (or by a
    # customer text while nothing is owed), cleared by an agent reply. The no-reply
    # timeout counts from here.
    reply_due_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_agent_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    queue: Mapped[Queue] = relationship(foreign_keys=[queue_id])
    claimed_by: Mapped[Extension | None] = relationship(foreign_keys=[claimed_by_id])
    events: Mapped[list[QueueEvent]] = relationship(
        back_populates="case", order_by="QueueEvent.id", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def is_waiting(self) -> bool:
        """Unclaimed and not resolved: offered in the queue section."""
        return self.resolved_at is None and self.claimed_by_id is None


class QueueEvent(db.Model):
    """Something that happened to a case, shown as a pill in the thread (a note as a
    note). The CRM log of a case and a platform's thread mapping read these rows."""

    __tablename__ = "queue_events"
    __table_args__ = (Index("ix_queue_events_case", "queue_conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_conversation_id: Mapped[int] = mapped_column(
        ForeignKey("queue_conversations.id", ondelete="CASCADE")
    )
    kind: Mapped[QueueEventKind] = mapped_column(str_enum(QueueEventKind))
    # The queue the case was in when it happened (a transfer's or overflow's source).
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    # Who did it; None for the system (arrival, timeouts).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("extensions.id", ondelete="SET NULL"))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    # Transfer/overflow target: a member, or a queue.
    target_extension_id: Mapped[int | None] = mapped_column(
        ForeignKey("extensions.id", ondelete="SET NULL")
    )
    target_queue_id: Mapped[int | None] = mapped_column(
        ForeignKey("queues.id", ondelete="SET NULL")
    )
    target_name: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(String(32))
    # A note's text, a transfer's note, or an "Other" resolve's text.
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Read back from the platform (done in its own app): never told back to it.
    from_platform: Mapped[bool] = mapped_column(default=False, server_default=false())

    case: Mapped[QueueConversation] = relationship(back_populates="events")
