"""The sandbox platform: a demo telephony account that lives in Sidetalk's own database.

It speaks RingCentral's shapes: it builds message-store records and instant-message
notifications and hands them to the same ingestion code a RingCentral webhook uses.
"""

from __future__ import annotations

from collections.abc import Iterable

from widget import media as media_store
from widget.models import Attachment, Availability, Extension, Message
from widget.platforms.base import Outbound, Platform

SANDBOX_URI_PREFIX = "sandbox://media/"


class SandboxPlatform(Platform):
    name = "sandbox"

    def update_read_status(self, extension: Extension, messages: Iterable[Message], read: bool):
        # The sandbox's message store is Sidetalk's own database: the caller's update of
        # read_status is already the platform-side change, so there is nothing to send.
        return None

    def update_availability(
        self, extension: Extension, messages: Iterable[Message], availability: Availability
    ):
        # As with read status: the caller's change of availability in Sidetalk's database
        # is the sandbox's own message store changing, so there is nothing to send.
        return None

    def fetch_attachment(self, extension: Extension, attachment: Attachment) -> bytes:
        uri = attachment.platform_uri or ""
        if not uri.startswith(SANDBOX_URI_PREFIX):
            raise LookupError(f"not a sandbox attachment: {uri!r}")
        return media_store.read_bytes(uri.removeprefix(SANDBOX_URI_PREFIX))

    def send_message(self, extension: Extension, outbound: Outbound) -> dict:
        from widget.platforms.sandbox.outbound import accept

        return accept(extension, outbound)

    def message_status(self, extension: Extension, message: Message) -> dict:
        # Each status request moves the simulated carrier one step (see outbound.py).
        from widget.platforms.sandbox.outbound import current_record

        return current_record(extension, message)
