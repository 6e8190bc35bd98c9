"""The platform interface every telephony backend implements, and the sink it reports to.

Terms follow RingCentral: a *message-store record* is the JSON of one message in one
extension's mailbox; an *event* is a notification carrying such a record (instant
message) or the ids of changed records (message-store event). A platform never writes
messages itself and never calls up into ingestion: it hands records to the
``EventSink`` the application gave it when it was built.

Endpoints below are RingCentral's REST API (``/restapi/v1.0/...`` unless noted); the
shapes of their payloads are in the RingCentral conformance data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

from flask import Blueprint

from widget.models import Attachment, Availability, Extension, Message
from widget.platforms.errors import (  # noqa: F401 - re-exported: the interface's errors
    PlatformRateLimited,
    PlatformRefused,
    PlatformRetryable,
    PlatformUnavailable,
)
from widget.platforms.shapes import (  # noqa: F401 - re-exported: the interface's shapes
    DirectoryEntry,
    EventSink,
    Outbound,
    OutboundPart,
    PlatformTemplate,
    ProvisionedNumber,
    Provisioning,
    SignInStart,
    Subscription,
    SyncPage,
    SyncType,
    ThreadState,
    WebhookCheck,
    WebhookOutcome,
)


class Platform(ABC):
    """One telephony backend. Built once per application with the app's event sink."""

    name: str
    # An OAuth platform names its sign-in button ("Sign in with RingCentral"); None for a
    # platform whose users choose themselves from a list (the sandbox's demo chooser).
    sign_in_button: str | None = None
    # True when the platform decides who is an admin (RingCentral's user permissions): the
    # admin console then shows roles without letting anyone grant or revoke them.
    admin_roles_from_platform: bool = False

    def __init__(self, sink: EventSink) -> None:
        self.sink = sink

    def sign_out(self, extension: Extension) -> None:
        """The user signed out of Sidetalk: revoke what the platform gave (nothing here).

        RingCentral: ``POST /restapi/oauth/revoke``.
        """
        return None

    # --- SMS templates kept by the platform (none unless ``keeps_templates``) --------------

    keeps_templates: bool = False

    def list_templates(self, extension: Extension) -> list[PlatformTemplate]:
        """The user's personal and the company's templates as the platform has them.

        RingCentral: ``GET .../extension/~/message-store-templates`` and
        ``GET /account/~/message-store-templates``.
        """
        return []

    def save_template(
        self, extension: Extension, company: bool, template_id: str | None, title: str, text: str
    ) -> str:
        """Create (``template_id`` None) or change a template; return its platform id."""
        raise PlatformRefused(f"{self.name} keeps no SMS templates of its own.")

    def remove_template(self, extension: Extension, company: bool, template_id: str) -> None:
        """Delete a template at the platform (gone already is fine)."""
        raise PlatformRefused(f"{self.name} keeps no SMS templates of its own.")

    # --- Shared inboxes (queues) ----------------------------------------------------------

    def queue_events_committed(self, case, events: Sequence) -> None:
        """Mirror what just happened to a queue case at the platform (nothing here).

        ``case`` is a ``QueueConversation`` and ``events`` its new ``QueueEvent`` rows,
        oldest first, already committed. The sandbox keeps queues natively; RingCentral
        maps a case to a message thread (``/account/~/message-threads``: assign on
        CLAIMED/TRANSFERRED, resolve on RESOLVED, notes on NOTE). Called after the
        commit, never inside a transaction: an implementation that calls out should
        queue its own idempotent task keyed by the event ids.
        """
        return None

    def read_back_threads(self, apply: Callable[[list[ThreadState]], object]) -> int:
        """Read what changed in the platform's own app to threads of queue cases (an
        agent assigned or resolved one there) and hand the states to ``apply`` (the
        queues service), then remember where the read stopped; return the states read.

        Nothing here: the sandbox keeps queues natively, there is nothing elsewhere.
        RingCentral: ``GET /account/~/message-threads/sync`` (ISync with the token of
        the last read). ``apply`` must be idempotent: a read repeated after a crash
        hands the same states again.
        """
        return 0

    def account_notice(self, extension: Extension) -> str | None:
        """A problem with the user's platform connection to show in the sidebar, or None."""
        return None

    def handle_notification(self, event: Mapping) -> str:
        """Act on a webhook notification ``verify_webhook`` accepted; say what was done."""
        return "ignored"

    def blueprints(self) -> Sequence[Blueprint]:
        """Return the platform's own HTTP routes; none unless it has pages of its own."""
        return ()

    # --- sign-in and provisioning ------------------------------------------------------

    @abstractmethod
    def start_sign_in(self, callback_url: str) -> SignInStart:
        """Begin a sign-in that comes back to ``callback_url``; return how it starts.

        RingCentral: ``GET /restapi/oauth/authorize`` (authorization code with PKCE; the
        state and code verifier stay in the signing-in browser's session).
        """

    @abstractmethod
    def finish_sign_in(self, params: Mapping[str, str]) -> Extension:
        """Complete a sign-in from the callback's parameters; return the signed-in extension.

        RingCentral: ``POST /restapi/oauth/token`` (``grant_type=authorization_code`` with
        the code verifier), then ``provision`` for a user Sidetalk has not seen yet.
        """

    @abstractmethod
    def provision(self, extension: Extension) -> Provisioning:
        """Return the account, extension, numbers and directory the platform has for them.

        RingCentral: ``GET /account/~/extension/~`` (extension, status, regional settings),
        ``GET /account/~/extension/~/phone-number`` (numbers and their features) and
        ``GET /account/~/directory/entries`` (the company directory, paged).
        """

    # --- webhooks -----------------------------------------------------------------------

    @abstractmethod
    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookCheck:
        """Return whether a webhook request comes from the platform, and how to answer it.

        RingCentral: creating a subscription sends one request with a ``Validation-Token``
        header that must be echoed back; each notification after that carries the
        ``Verification-Token`` given at creation, which must match.
        """

    @abstractmethod
    def upkeep_subscription(
        self, current: Subscription | None, address: str, now: datetime
    ) -> Subscription | None:
        """Return the subscription delivering events to ``address``, created or renewed.

        RingCentral: ``POST /subscription`` (``deliveryMode.transportType`` WebHook, the
        message-store and instant-message event filters) when there is none or it
        expired, ``POST /subscription/{id}/renew`` when it expires soon. None when the
        platform sends no webhooks.
        """

    # --- the message store --------------------------------------------------------------

    @abstractmethod
    def fetch_records(self, extension: Extension, message_ids: Sequence[str]) -> list[dict]:
        """Return the current records of ``message_ids`` in ``extension``'s mailbox.

        RingCentral: ``GET /account/~/extension/~/message-store/{messageId}`` (several ids
        comma-separated), after a message-store event names changed ids. Ids the mailbox
        does not hold are left out.
        """

    @abstractmethod
    def sync(self, extension: Extension, sync_token: str | None = None) -> SyncPage:
        """Return the next page of ``extension``'s message store.

        RingCentral: ``GET /account/~/extension/~/message-sync`` with ``syncType=FSync``
        when ``sync_token`` is None, else ``syncType=ISync&syncToken=...``.
        """

    @abstractmethod
    def update_read_status(self, extension: Extension, messages: Iterable[Message], read: bool):
        """Tell the platform the messages were read (or unread); returns nothing.

        RingCentral: ``PATCH .../message-store/{ids}`` with ``{"readStatus": "Read"}``.
        """

    @abstractmethod
    def fetch_attachment(self, extension: Extension, attachment: Attachment) -> bytes:
        """Return the content of ``attachment`` (which belongs to ``extension``).

        RingCentral: ``GET .../message-store/{messageId}/content/{attachmentId}``.
        """

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

    def sent_since(self, extension: Extension, outbound: Outbound, since: str) -> list[dict]:
        """Records of messages like ``outbound`` the platform took since ``since`` (ISO time).

        Asked before sending again after a send that got no answer: the platform may have
        taken it. A platform whose sends always answer (the in-process sandbox) has none.
        RingCentral: ``GET .../message-store?direction=Outbound&dateFrom=...``.
        """
        return []

    def sender_copy_id(self, received: Message) -> str | None:
        """The platform id of the sender's own copy of ``received``, a message a colleague
        sent inside the account, when the platform's ids tell it; None when they do not."""
        return None

    @abstractmethod
    def message_status(self, extension: Extension, message: Message) -> dict:
        """Return the platform's current record of ``extension``'s outbound ``message``.

        RingCentral: ``GET .../message-store/{messageId}``. Ingesting the record picks up a
        status change (its ``lastModifiedTime`` is newer) and ignores an unchanged one.
        """
