"""The sandbox platform: a demo telephony account that lives in Sidetalk's own database.

It speaks RingCentral's shapes: it builds message-store records and hands them to the
app's event sink, the same ingestion a RingCentral webhook reaches. Where RingCentral
has something the sandbox does not need (webhooks, subscriptions), it says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from flask import Blueprint, current_app

from widget import media as media_store
from widget.errors import NotFound
from widget.models import Attachment, Availability, Extension, Message
from widget.platforms.base import (
    Outbound,
    Platform,
    Provisioning,
    SignInStart,
    Subscription,
    SyncPage,
    WebhookCheck,
    WebhookOutcome,
)
from widget.platforms.sandbox.accounts import chosen_extension, provisioning, sign_in_choices
from widget.platforms.sandbox.messages import SANDBOX_URI_PREFIX
from widget.platforms.sandbox.outbound import accept, current_record
from widget.platforms.sandbox.routes import bp
from widget.platforms.sandbox.store import fetch_records, sync


class SandboxPlatform(Platform):
    name = "sandbox"

    def blueprints(self) -> Sequence[Blueprint]:
        """Return the phone simulator and the scripting API (``/sandbox/...``)."""
        return (bp,)

    def start_sign_in(self, callback_url: str) -> SignInStart:
        # No identity provider: the person picks one of the demo extensions.
        _require_demo()
        return sign_in_choices()

    def finish_sign_in(self, params: Mapping[str, str]) -> Extension:
        _require_demo()
        return chosen_extension(params)

    def provision(self, extension: Extension) -> Provisioning:
        return provisioning(extension)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookCheck:
        return WebhookCheck(
            WebhookOutcome.UNSUPPORTED,
            reason="The sandbox sends no webhooks: it hands records to ingestion directly.",
        )

    def upkeep_subscription(
        self, current: Subscription | None, address: str, now: datetime
    ) -> Subscription | None:
        # Nothing to keep alive: every sandbox event reaches the event sink in-process the
        # moment it happens, so there is no subscription to create, renew or lose.
        return None

    def fetch_records(self, extension: Extension, message_ids: Sequence[str]) -> list[dict]:
        return fetch_records(extension, message_ids)

    def sync(self, extension: Extension, sync_token: str | None = None) -> SyncPage:
        return sync(extension, sync_token)

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
        return accept(extension, outbound)

    def sender_copy_id(self, received: Message) -> str | None:
        # A delivered copy's id is the sent message's id and the receiving address
        # (outbound._deliver_copy): "<sent id>-<address digits>".
        sent_id, dash, _address = received.platform_message_id.rpartition("-")
        return sent_id if dash and sent_id else None

    def message_status(self, extension: Extension, message: Message) -> dict:
        # Each status request moves the simulated carrier one step (see outbound.py).
        return current_record(self.sink, extension, message)


def _require_demo() -> None:
    """Refuse the chooser outside the demo: it would sign anyone in as anyone."""
    if not current_app.config["SANDBOX_OPEN"]:
        raise NotFound("Sign-in by choosing an extension exists only in demo mode.")
