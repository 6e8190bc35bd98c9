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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from flask import Blueprint

from widget.models import Attachment, Availability, Extension, Message, MessageType


class PlatformRefused(Exception):
    """The platform would not accept a request; ``message`` is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PlatformRetryable(Exception):
    """The platform could not take a request now; the same request may work later.

    ``retry_after`` is how many seconds the platform asked the caller to wait (None when
    it said nothing, and the caller picks its own backoff).
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class PlatformRateLimited(PlatformRetryable):
    """HTTP 429: a throttling group's budget is spent until ``Retry-After`` seconds pass."""


class PlatformUnavailable(PlatformRetryable):
    """HTTP 502/503/504 or no answer at all: the platform is down or overloaded."""


class EventSink(Protocol):
    """Where a platform hands the records it learns of: Sidetalk's ingestion.

    Each call ingests, commits and announces; it returns the local messages.
    """

    def record_changed(
        self, extension: Extension, record: Mapping, content: Mapping[str, bytes] | None = None
    ) -> Message:
        """Ingest one record of ``extension``'s mailbox; return the stored message.

        ``content`` maps attachment URIs to bytes the platform already has in hand.
        """

    def records_changed(
        self,
        extension: Extension,
        records: Iterable[Mapping],
        content: Mapping[str, bytes] | None = None,
    ) -> list[Message]:
        """Ingest a page of records of ``extension``'s mailbox (a sync page, a burst of
        webhooks): a few statements and one commit for the page, one push for what it
        changed, the newest version of each record kept; returns each record's message."""


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


@dataclass(frozen=True)
class SignInStart:
    """How a sign-in begins: a page to send the browser to, or people to choose from.

    An OAuth platform sets ``redirect_url``; a platform whose users pick themselves
    from a list (the sandbox) sets ``choices`` and the sign-in page shows them.
    """

    redirect_url: str | None = None
    choices: tuple[Extension, ...] = ()


@dataclass(frozen=True)
class ProvisionedNumber:
    """One phone number of the extension, as ``GET .../extension/~/phone-number`` lists it."""

    e164: str
    usage_type: str  # DirectNumber, MainCompanyNumber, CompanyNumber...
    sms_enabled: bool  # its features include SmsSender (MmsSender for pictures)
    fax_enabled: bool  # its features include FaxSender


@dataclass(frozen=True)
class DirectoryEntry:
    """A person of the company directory (``GET /account/~/directory/entries``)."""

    first_name: str
    last_name: str
    company: str | None
    phone_numbers: tuple[str, ...]
    extension_number: str | None = None  # None for external contacts of the directory


@dataclass(frozen=True)
class Provisioning:
    """What Sidetalk keeps about the signed-in user: account, extension, numbers, directory."""

    platform_account_id: str
    account_name: str
    main_number: str | None
    platform_extension_id: str
    extension_number: str
    name: str
    email: str | None
    timezone: str
    is_admin: bool
    phone_numbers: tuple[ProvisionedNumber, ...]
    directory: tuple[DirectoryEntry, ...]


@dataclass(frozen=True)
class PlatformTemplate:
    """An SMS template kept by the platform (RingCentral's ``message-store-templates``)."""

    id: str
    company: bool  # company-wide (account level) or the user's own
    title: str
    text: str


class WebhookOutcome(StrEnum):
    VALIDATION = "validation"  # the subscription handshake: echo the token, ingest nothing
    NOTIFICATION = "notification"  # a verified notification: ingest its body
    REJECTED = "rejected"  # not from the platform (missing or wrong token): 403
    UNSUPPORTED = "unsupported"  # this platform sends no webhooks: 404


@dataclass(frozen=True)
class WebhookCheck:
    """The verdict on one webhook request and the headers to answer it with."""

    outcome: WebhookOutcome
    response_headers: Mapping[str, str] = field(default_factory=dict)
    reason: str = ""


@dataclass(frozen=True)
class Subscription:
    """A webhook subscription as ``POST /subscription`` (or ``.../renew``) answers it."""

    id: str
    address: str
    event_filters: tuple[str, ...]
    expires_at: datetime


class SyncType(StrEnum):
    FULL = "FSync"  # from nothing: the newest records, up to a count
    INCREMENTAL = "ISync"  # what changed since the sync token was issued


@dataclass(frozen=True)
class SyncPage:
    """One answer of ``GET .../extension/~/message-sync`` (its ``records`` and ``syncInfo``)."""

    sync_type: SyncType
    records: tuple[Mapping, ...]
    sync_token: str  # pass it to the next (incremental) sync
    older_records_exist: bool = False


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
