"""What passes between a platform and Sidetalk: the event sink a platform reports to, and
the shapes of what it is given (an outbound message) and gives back (sign-in, provisioning,
templates, webhooks, sync pages, thread states)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from widget.models import Extension, Message, MessageType
from widget.platforms.records import ParsedRecord


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
        records: Iterable[Mapping | ParsedRecord],
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


@dataclass(frozen=True)
class ThreadState:
    """A queue case's thread as the platform has it now (changed in its own app).

    ``assignee_id`` is the local ``Extension`` the thread is assigned to (None: nobody);
    ``resolved_reason`` is set once the thread is resolved: ``Manual`` (an agent) or
    ``ThreadExpired`` (the platform's own idle timeout).
    """

    case_id: int
    thread_id: str
    assignee_id: int | None
    resolved_reason: str | None = None
    elsewhere: str = "the phone system's app"  # where it changed, for the case's pills
