"""Conversations, messages and their attachments, in RingCentral message-store terms.

Each extension owns its own copy of a message (as in RingCentral's per-extension
message store), so every row carries ``extension_id`` and tenant isolation is one
column in every query.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from widget.extensions import db
from widget.models.types import UTCDateTime, str_enum, utcnow


class MessageType(enum.StrEnum):
    SMS = "SMS"  # MMS is an SMS record carrying MmsAttachment parts, as in RingCentral
    PAGER = "Pager"
    VOICEMAIL = "VoiceMail"
    FAX = "Fax"


class Direction(enum.StrEnum):
    INBOUND = "Inbound"
    OUTBOUND = "Outbound"


class MessageStatus(enum.StrEnum):
    QUEUED = "Queued"
    SENT = "Sent"
    SENDING_FAILED = "SendingFailed"
    DELIVERED = "Delivered"
    DELIVERY_FAILED = "DeliveryFailed"
    RECEIVED = "Received"


class ReadStatus(enum.StrEnum):
    READ = "Read"
    UNREAD = "Unread"


class Availability(enum.StrEnum):
    ALIVE = "Alive"
    DELETED = "Deleted"
    PURGED = "Purged"


class Channel(enum.StrEnum):
    """The list tab a conversation belongs to."""

    TEXT = "text"
    VOICEMAIL = "voicemail"
    FAX = "fax"
    PAGER = "pager"


class ConversationKind(enum.StrEnum):
    DIRECT = "direct"
    GROUP = "group"
    PAGER = "pager"


CHANNEL_OF_TYPE = {
    MessageType.SMS: Channel.TEXT,
    MessageType.PAGER: Channel.PAGER,
    MessageType.VOICEMAIL: Channel.VOICEMAIL,
    MessageType.FAX: Channel.FAX,
}


def participants_key(addresses: list[str]) -> str:
    """Return ``Conversation.participants`` for these other parties (sorted, comma-framed)."""
    return "," + ",".join(sorted(addresses)) + ","


def participants_in(key: str) -> list[str]:
    """The other parties of a ``participants_key``, in its order."""
    return [p for p in key.split(",") if p]


class Conversation(db.Model):
    """Every message of one extension with the same other parties on one channel.

    ``last_message_at``, ``preview`` and ``unread_count`` are kept in step by the
    ingestion service so the list is one indexed keyset scan, never an aggregate.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("extension_id", "channel", "participants"),
        Index(
            "ix_conversations_list",
            "extension_id",
            "availability",
            "last_message_at",
            "id",
        ),
        Index(
            "ix_conversations_channel_list",
            "extension_id",
            "availability",
            "channel",
            "last_message_at",
            "id",
        ),
        # The tab badges sum unread_count per channel: this range covers only the unread
        # conversations and answers from the index alone, however long the mailbox.
        Index("ix_conversations_unread", "extension_id", "availability", "unread_count", "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    extension_id: Mapped[int] = mapped_column(ForeignKey("extensions.id", ondelete="CASCADE"))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    kind: Mapped[ConversationKind] = mapped_column(str_enum(ConversationKind))
    # The other parties, sorted and comma-framed (",+15551230001,+15551230002,") so a
    # number is found with one LIKE and the tuple is unique per extension and channel.
    participants: Mapped[str] = mapped_column(String(1000))
    platform_conversation_id: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(200))
    availability: Mapped[Availability] = mapped_column(
        str_enum(Availability), default=Availability.ALIVE
    )
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_type: Mapped[MessageType] = mapped_column(str_enum(MessageType))
    last_direction: Mapped[Direction] = mapped_column(str_enum(Direction))
    preview: Mapped[str] = mapped_column(String(200), default="")
    unread_count: Mapped[int] = mapped_column(default=0)
    message_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="(Message.created_at, Message.id)"
    )

    @property
    def addresses(self) -> list[str]:
        return participants_in(self.participants)


class Message(db.Model):
    """One message-store record of one extension."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("platform", "platform_message_id"),
        Index("ix_messages_thread", "conversation_id", "created_at", "id"),
        Index("ix_messages_unread", "conversation_id", "read_status", "availability"),
        # The purge sweep looks for messages deleted before the retention cut-off.
        Index("ix_messages_purge", "availability", "deleted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    extension_id: Mapped[int] = mapped_column(
        ForeignKey("extensions.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(32))
    platform_message_id: Mapped[str] = mapped_column(String(64))
    platform_conversation_id: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[MessageType] = mapped_column(str_enum(MessageType))
    direction: Mapped[Direction] = mapped_column(str_enum(Direction))
    from_address: Mapped[str] = mapped_column(String(32))
    from_name: Mapped[str | None] = mapped_column(String(200))
    # [{"address": "+1555...", "name": "...", "status": "Delivered"}] as sent by the platform
    to_parties: Mapped[list[dict]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text, default="")
    message_status: Mapped[MessageStatus] = mapped_column(str_enum(MessageStatus))
    # Why an outbound message is still Queued (waiting on a rate limit) or why it failed.
    status_note: Mapped[str | None] = mapped_column(String(300))
    read_status: Mapped[ReadStatus] = mapped_column(str_enum(ReadStatus))
    availability: Mapped[Availability] = mapped_column(
        str_enum(Availability), default=Availability.ALIVE
    )
    priority: Mapped[str] = mapped_column(String(16), default="Normal")
    transcription: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_modified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="Attachment.id"
    )

    @property
    def is_mms(self) -> bool:
        return any(a.kind == "MmsAttachment" for a in self.attachments)

    @property
    def is_unread(self) -> bool:
        return self.read_status == ReadStatus.UNREAD


class Attachment(db.Model):
    """A part of a message: MMS image, voicemail audio, transcription or fax document.

    ``platform_uri`` is where the platform serves the content; ``storage_path`` is set
    once the bytes are kept locally (on first download, or at ingestion for the sandbox).
    """

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("message_id", "platform_attachment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    platform_attachment_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))  # RingCentral attachment "type"
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int | None]
    filename: Mapped[str | None] = mapped_column(String(255))
    platform_uri: Mapped[str | None] = mapped_column(String(500))
    storage_path: Mapped[str | None] = mapped_column(String(500))
    duration_seconds: Mapped[float | None]
    page_count: Mapped[int | None]
    width: Mapped[int | None]
    height: Mapped[int | None]

    message: Mapped[Message] = relationship(back_populates="attachments")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
