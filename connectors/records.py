"""What connectors and Sidetalk exchange about CRM data: a record matching a number,
one activity to write (a conversation-day's, or a shared-inbox case's), and the CRM's
answer to a write."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

LogFormat = Literal["text/plain", "text/html", "text/markdown"]
MessageType = Literal["SMS", "MMS", "VoiceMail", "Fax", "Pager"]

# The const of the contact-dependent "Related to" selection in every bundled manifest: a
# connector lists its options under this key of ``MatchedRecord.additional_info``, and the
# chosen one comes back as ``MessageLogWrite.related_to_id``.
RELATED_TO = "relatedTo"


@dataclass
class MatchedRecord:
    """A CRM record matching a phone number.

    ``additional_info`` is keyed by the manifest field ``const`` of contact-dependent
    selections; each value is a list of ``{"const": id, "title": label}`` options.
    """

    id: str
    name: str
    type: str
    phone: str | None = None
    additional_info: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    updated_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
    url: str | None = None


@dataclass
class MessageLogWrite:
    """One CRM activity to create or update: a conversation-day for one contact.

    ``body`` is already composed by Sidetalk in the connector's log format;
    ``log_key`` is Sidetalk's idempotency key (e.g. ``"conv-123/2026-11-22/003xx"``).
    """

    log_key: str
    subject: str
    body: str
    activity_date: dt.date
    record: MatchedRecord
    related_to_id: str | None = None
    message_type: MessageType = "SMS"
    direction: str | None = None
    additional_submission: dict[str, Any] = field(default_factory=dict)
    user_name: str | None = None


@dataclass
class LogResult:
    """The CRM id of a created/updated activity and, when known, a link to open it."""

    log_id: str
    url: str | None = None
