"""Typed SQLAlchemy 2 models, one module per aggregate."""

from widget.models.account import Account, Extension, PhoneNumber
from widget.models.contact import Contact, ContactPhone, ContactSource
from widget.models.message import (
    Attachment,
    Availability,
    Channel,
    Conversation,
    ConversationKind,
    Direction,
    Message,
    MessageStatus,
    MessageType,
    ReadStatus,
)

__all__ = [
    "Account",
    "Attachment",
    "Availability",
    "Channel",
    "Contact",
    "ContactPhone",
    "ContactSource",
    "Conversation",
    "ConversationKind",
    "Direction",
    "Extension",
    "Message",
    "MessageStatus",
    "MessageType",
    "PhoneNumber",
    "ReadStatus",
]
