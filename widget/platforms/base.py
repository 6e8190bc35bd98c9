"""The platform interface every telephony backend implements.

Terms follow RingCentral: a *message-store record* is the JSON of one message in one
extension's mailbox; an *event* is a notification carrying such a record (instant
message) or the ids of changed records (message-store event). Platforms hand records
to ``widget.inbox.ingest``; they never write messages themselves.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field

from widget.models import Attachment, Availability, Extension, Message, MessageType


class PlatformRefused(Exception):
    """The platform would not accept an outbound message; ``message`` is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class OutboundPart:
    """A file sent with a message: an MMS picture or a fax document."""

    content_type: str
    data: bytes
    filename: str


@dataclass(frozen=True)
class Outbound:
    """One message to send, already validated by Sidetalk.

    ``sender`` is one of the extension's own numbers (E.164), or its extension number for
    Pager. ``recipients`` are E.164 numbers, or extension numbers for Pager; several
    recipients make one group message (a group SMS reply, a group page), never a blast.
    ``conversation_id`` asks the platform to keep the message in a known conversation.
    """

    type: MessageType
    sender: str
    recipients: tuple[str, ...]
    text: str = ""
    parts: tuple[OutboundPart, ...] = field(default_factory=tuple)
    cover_page_text: str = ""
    conversation_id: str | None = None


class Platform(ABC):
    name: str

    @abstractmethod
    def update_read_status(self, extension: Extension, messages: Iterable[Message], read: bool):
        """Tell the platform the messages were read (or unread); returns nothing."""

    @abstractmethod
    def fetch_attachment(self, extension: Extension, attachment: Attachment) -> bytes:
        """Return the content of ``attachment`` (which belongs to ``extension``)."""

    @abstractmethod
    def update_availability(
        self, extension: Extension, messages: Iterable[Message], availability: Availability
    ):
        """Tell the platform the messages were deleted, restored (Alive) or purged.

        RingCentral: ``DELETE .../message-store/{ids}`` (``?purge=true`` to purge) and
        ``PATCH .../message-store/{id}`` with ``{"availability": "Alive"}`` to restore.
        """

    @abstractmethod
    def send_message(self, extension: Extension, outbound: Outbound) -> dict:
        """Send ``outbound`` as ``extension``; return the sender's message-store record.

        RingCentral: ``POST /restapi/v1.0/account/~/extension/~/sms`` (``/mms`` with
        ``MmsAttachment`` parts, ``/company-pager``, ``/fax``). The record's messageStatus is
        ``Queued`` (``Sent`` for Pager); later statuses arrive as newer versions of the
        record, from events or from ``message_status``. Raises ``PlatformRefused``.
        """

    @abstractmethod
    def message_status(self, extension: Extension, message: Message) -> dict:
        """Return the platform's current record of ``extension``'s outbound ``message``.

        RingCentral: ``GET .../message-store/{messageId}``. Ingesting the record picks up a
        status change (its ``lastModifiedTime`` is newer) and ignores an unchanged one.
        """
