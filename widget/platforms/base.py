"""The platform interface every telephony backend implements.

Terms follow RingCentral: a *message-store record* is the JSON of one message in one
extension's mailbox; an *event* is a notification carrying such a record (instant
message) or the ids of changed records (message-store event). Platforms hand records
to ``widget.inbox.ingest``; they never write messages themselves.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable

from widget.models import Attachment, Extension, Message


class Platform(ABC):
    name: str

    @abstractmethod
    def update_read_status(self, extension: Extension, messages: Iterable[Message], read: bool):
        """Tell the platform the messages were read (or unread); returns nothing."""

    @abstractmethod
    def fetch_attachment(self, extension: Extension, attachment: Attachment) -> bytes:
        """Return the content of ``attachment`` (which belongs to ``extension``)."""
