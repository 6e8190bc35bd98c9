"""What sandbox messages are made of: the parts delivery, media and seeding all share."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from widget import media
from widget.models import Extension, MessageType

# Attachment URIs of files the sandbox stored itself (read back by ``fetch_attachment``).
SANDBOX_URI_PREFIX = media.STORE_URI_PREFIX


@dataclass(frozen=True)
class MediaPart:
    kind: str  # RingCentral attachment type: MmsAttachment, AudioRecording, RenderedDocument...
    content_type: str
    data: bytes
    filename: str | None = None
    duration_seconds: float | None = None


@dataclass(frozen=True)
class InboundMessage:
    sender: str  # E.164, or an extension number for Pager
    recipient: Extension
    recipient_address: str
    text: str
    type: MessageType
    parts: list[MediaPart] = field(default_factory=list)
    page_count: int | None = None
    # The demo extension the sender is, if any (a colleague), found with the recipient.
    sender_extension: Extension | None = None
    # Whether the (outside) sender is a member of a pager group: only then may a text of
    # theirs answer a group, and the carrier's threading lookup is worth its statement.
    sender_in_a_group: bool = False


def new_message_id() -> str:
    """Return a fresh message-store id for a sandbox record."""
    # RingCentral ids are large integers; random ones never collide with real or seeded ids.
    return str(10**14 + secrets.randbelow(9 * 10**14))
