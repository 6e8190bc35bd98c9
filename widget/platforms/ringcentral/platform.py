"""The RingCentral platform: Sidetalk's telephony interface over RingCentral's REST API."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from widget.errors import Invalid, NotFound, Unavailable
from widget.extensions import db
from widget.models import Attachment, Availability, Extension, Message, PlatformLink
from widget.models.types import utcnow
from widget.platforms.base import (
    Outbound,
    Platform,
    PlatformRefused,
    PlatformRetryable,
    PlatformTemplate,
    Provisioning,
    SignInStart,
    Subscription,
    SyncPage,
    WebhookCheck,
)
from widget.platforms.records import RecordError, parse_instant_event
from widget.platforms.ringcentral import (
    messages,
    provisioning,
    replay,
    signin,
    subscription,
    sync,
    templates,
    thread_readback,
    threads,
)
from widget.platforms.ringcentral.client import RingCentralClient, TokenRejected
from widget.platforms.ringcentral.throttle import shared_blocks
from widget.platforms.ringcentral.tokens import (
    ReconnectRequired,
    fresh_tokens,
    mark_reconnect_required,
    store_new_tokens,
)
from widget.sealing import seal

log = logging.getLogger(__name__)

MEDIA_HOSTS = ("https://media.ringcentral.com/",)
WEBHOOK_PATH = "/webhooks/ringcentral"


class RingCentralPlatform(Platform):
    name = "ringcentral"
    sign_in_button = "Sign in with RingCentral"
    # Sign-in copies the user's "admin" permission (provisioning.py): the console only shows it.
    admin_roles_from_platform = True

    def __init__(self, sink) -> None:
        super().__init__(sink)
        self._client: RingCentralClient | None = None

    # --- plumbing ---------------------------------------------------------------------------

    @property
    def client(self) -> RingCentralClient:
        if self._client is None:
            config = current_app.config
            if not config.get("RINGCENTRAL_CLIENT_ID"):
                raise Unavailable("RingCentral is not configured: set RINGCENTRAL_CLIENT_ID.")
            self._client = RingCentralClient(
                config["RINGCENTRAL_SERVER_URL"],
                config["RINGCENTRAL_CLIENT_ID"],
                config.get("RINGCENTRAL_CLIENT_SECRET") or None,
                timeout=float(config.get("RINGCENTRAL_TIMEOUT_SECONDS") or 15),
                blocks=shared_blocks(config.get("REDIS_URL") or None, config["REDIS_KEY_PREFIX"]),
            )
        return self._client

    def call(self, extension: Extension | int, method: str, path: str, **kwargs):
        """Call RingCentral as the user; one refresh and retry on 401; return the JSON."""
        response = self._raw(extension, method, path, **kwargs)
        if not response.content or "json" not in response.headers.get("Content-Type", ""):
            return None
        return response.json()

    def _raw(self, extension: Extension | int, method: str, path: str, **kwargs):
        extension_id = extension if isinstance(extension, int) else extension.id
        user = str(extension_id)
        tokens = fresh_tokens(self.client, extension_id)
        try:
            response = self.client.call(user, tokens.access_token, method, path, **kwargs)
        except TokenRejected:
            tokens = fresh_tokens(self.client, extension_id, stale=tokens)
            try:
                response = self.client.call(user, tokens.access_token, method, path, **kwargs)
            except TokenRejected:
                mark_reconnect_required(extension_id)
                raise ReconnectRequired() from None
        return response

    def _getter(self, extension: Extension | int):
        return lambda path, params=None: self.call(extension, "GET", path, params=params) or {}

    # --- sign-in and provisioning -------------------------------------------------------------

    def start_sign_in(self, callback_url: str) -> SignInStart:
        return SignInStart(redirect_url=signin.begin(self.client))

    def finish_sign_in(self, params: Mapping[str, str]) -> Extension:
        try:
            answer = signin.complete(self.client, params)
            access = answer["access_token"]

            def get(path, query=None):
                user = str(answer.get("owner_id") or "signing-in")
                return self.client.call(user, access, "GET", path, params=query).json()

            provisioned, personal = provisioning.fetch(get)
        except PlatformRetryable as exc:
            raise Unavailable(f"RingCentral is unavailable: {exc.message} Try again.") from None
        except PlatformRefused as exc:
            raise Invalid(exc.message) from None
        extension = provisioning.store(provisioned, personal)
        db.session.commit()
        store_new_tokens(extension.id, answer)
        from widget.platforms.ringcentral.tasks import after_sign_in

        after_sign_in(extension.id)
        return extension

    def provision(self, extension: Extension) -> Provisioning:
        return provisioning.fetch(self._getter(extension))[0]

    def refresh_provisioning(self, extension: Extension) -> Extension:
        """Read the user, numbers, directory and address book again; store them; commit.

        Numbers move, colleagues join and leave, names change in RingCentral while the
        user stays signed in: this keeps Sidetalk's copy following without a new sign-in.
        """
        extension_id = extension.id
        db.session.commit()  # no transaction stays open across RingCentral's calls
        fetched, personal = provisioning.fetch(self._getter(extension_id))
        stored = provisioning.store(fetched, personal)
        db.session.commit()
        return stored

    def sign_out(self, extension: Extension) -> None:
        """Revoke the user's tokens at RingCentral and drop their subscription."""
        from widget.platforms.ringcentral.tokens import current_tokens, forget_tokens

        try:
            tokens = current_tokens(extension.id)
        except ReconnectRequired:
            return
        subscription_id = subscription.forget_subscription(extension.id)
        try:
            if subscription_id:
                self.call(extension, "DELETE", f"/restapi/v1.0/subscription/{subscription_id}")
        except PlatformRefused:
            pass  # already gone there
        except Exception:
            log.warning("could not delete subscription %s at sign-out", subscription_id)
        token = tokens.refresh_token or tokens.access_token
        user = str(extension.id)
        try:
            self.client.revoke(token, user)
        except PlatformRetryable:
            # Signed out here whatever happens (unanswered, or the Auth group waits out
            # a 429); the token must die there too: the worker tries again (it travels
            # sealed, like tokens at rest).
            from widget.platforms.ringcentral.tasks import revoke_later

            log.warning("RingCentral did not take the revoke of extension %s", extension.id)
            revoke_later(seal({"token": token, "user": user}))
        except PlatformRefused:
            pass  # RingCentral no longer knows the token: nothing left to revoke
        forget_tokens(extension.id)

    # --- templates -----------------------------------------------------------------------

    keeps_templates = True

    def list_templates(self, extension: Extension) -> list[PlatformTemplate]:
        return templates.list_all(self._caller(extension))

    def save_template(
        self, extension: Extension, company: bool, template_id: str | None, title: str, text: str
    ) -> str:
        return templates.save(self._caller(extension), company, template_id, title, text)

    def remove_template(self, extension: Extension, company: bool, template_id: str) -> None:
        templates.remove(self._caller(extension), company, template_id)

    def account_notice(self, extension: Extension) -> str | None:
        link = db.session.scalar(
            select(PlatformLink).where(PlatformLink.extension_id == extension.id)
        )
        if link is None or link.reconnect_required or not link.sealed_tokens:
            return "Reconnect RingCentral: your sign-in has expired or was revoked."
        return None

    # --- webhooks ------------------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookCheck:
        return subscription.check_notification(headers, body)

    def upkeep_subscription(
        self, current: Subscription | None, address: str, now: datetime
    ) -> Subscription | None:
        # RingCentral subscriptions belong to a user (their filters name the extension):
        # ``keep_subscribed`` looks after each user's; there is no account-wide one.
        return current

    def keep_subscribed(self, extension: Extension, now: datetime) -> str | None:
        address = current_app.config["PUBLIC_URL"].rstrip("/") + WEBHOOK_PATH
        return subscription.keep_subscribed(
            lambda method, path, **kw: self.call(extension, method, path, **kw),
            extension.id,
            address,
            now,
        )

    def handle_notification(self, event: Mapping) -> str:
        """Take a notification once (``replay``), then act on it; return what was done."""
        refusal = replay.first_sighting(event, utcnow())
        if refusal is not None:
            log.warning("webhook %s %s", event.get("uuid"), refusal)
            return refusal
        try:
            return self._act_on(event)
        except Exception:
            replay.forget(event)  # not done: RingCentral's retry must not look like a replay
            raise

    def _act_on(self, event: Mapping) -> str:
        """Ingest an instant SMS, sync after a message-store event; return what was done."""
        owner = subscription.owner_of(str(event.get("subscriptionId")))
        extension = db.session.get(Extension, owner) if owner else None
        if extension is None:
            return "ignored: no such subscription"
        path = str(event.get("event") or "")
        if "/message-store/instant" in path:
            instant = parse_instant_event(event)
            if instant.owner_extension_id != extension.platform_extension_id:
                raise RecordError("the notification names another extension")
            self.sink.record_changed(extension, instant.record)
            return "ingested"
        if path.endswith("/message-store"):
            from widget.platforms.ringcentral.tasks import sync_extension

            sync_extension(extension.id)
            return "synced"
        return "ignored: unknown event type"

    # --- the message store ---------------------------------------------------------------------

    def synchronize(self, extension: Extension) -> int:
        # By id: the getter runs in the prefetch thread too, which must not touch the
        # ORM object of this thread's session.
        return sync.synchronize(self._getter(extension.id), self.sink, extension)

    def fetch_records(self, extension: Extension, message_ids: Sequence[str]) -> list[dict]:
        call = lambda method, path, **kw: self.call(extension, method, path, **kw)  # noqa: E731
        return [r for i in message_ids if (r := messages.record(call, i)) is not None]

    def sync(self, extension: Extension, sync_token: str | None = None) -> SyncPage:
        return sync.fetch_page(self._getter(extension), sync_token)

    def update_read_status(self, extension: Extension, messages_: Iterable[Message], read: bool):
        messages.set_read(self._caller(extension), messages_, read)

    def update_availability(
        self, extension: Extension, messages_: Iterable[Message], availability: Availability
    ):
        messages.set_availability(self._caller(extension), messages_, availability)

    def fetch_attachment(self, extension: Extension, attachment: Attachment) -> bytes:
        """Fetch from RingCentral's media host with the owner's token (sent nowhere else)."""
        allowed = (*MEDIA_HOSTS, self.client.server_url + "/")
        try:
            uri = messages.attachment_path(extension, attachment, allowed)
            response = self._raw(extension, "GET", uri)
        except PlatformRetryable as exc:
            raise Unavailable(f"RingCentral is unavailable ({exc.message}); try again.") from None
        except PlatformRefused as exc:
            raise NotFound(f"RingCentral did not give this file: {exc.message}") from None
        return response.content

    def send_message(self, extension: Extension, outbound: Outbound) -> dict:
        return messages.send(self._caller(extension), outbound)

    def sent_since(self, extension: Extension, outbound: Outbound, since: str) -> list[dict]:
        return messages.sent_since(self._caller(extension), outbound, since)

    def message_status(self, extension: Extension, message: Message) -> dict:
        found = messages.record(self._caller(extension), message.platform_message_id)
        if found is None:
            raise PlatformRefused("RingCentral no longer has this message.")
        return found

    # --- shared inboxes: queues as message threads (threads.py) --------------------------------

    def queue_events_committed(self, case, events) -> None:
        """Mirror the case's new events to its RingCentral thread, after the commit."""
        case_id = case.id
        # Reading ``case.id`` may have begun a read transaction: end it, so the calls
        # below run outside any transaction.
        db.session.commit()
        from widget.platforms.ringcentral.tasks import mirror_case_thread

        mirror_case_thread(case_id)

    def read_back_threads(self, apply) -> int:
        """Hand the queue threads changed in RingCentral's own app to ``apply``."""
        return thread_readback.read_back(self._caller, apply)

    def mirror_case(self, case_id: int) -> int:
        """Tell RingCentral what it has not heard of the case; return the calls made."""
        return threads.mirror(self._caller, case_id)

    def _caller(self, extension: Extension | int):
        return lambda method, path, **kw: self.call(extension, method, path, **kw)
