"""Parse RingCentral message-store records and notification events into plain data.

Every platform (the real RingCentral API, the sandbox) produces records in this shape,
so one parser and one ingestion path serve them all. Errors name the field at fault.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from widget.inputs import clean_message_text
from widget.models import Availability, Direction, MessageStatus, MessageType, ReadStatus


class RecordError(ValueError):
    """A record or event that cannot be ingested; the message says which field and why."""


@dataclass(frozen=True)
class Party:
    address: str  # E.164 phone number, or extension number for internal parties
    name: str | None = None
    status: str | None = None  # per-recipient messageStatus of group messages
    internal: bool = False


@dataclass(frozen=True)
class ParsedAttachment:
    id: str
    kind: str
    content_type: str
    uri: str | None = None
    size: int | None = None
    filename: str | None = None
    duration_seconds: float | None = None


@dataclass(frozen=True)
class ParsedRecord:
    id: str
    type: MessageType
    direction: Direction
    sender: Party | None
    recipients: list[Party]
    subject: str
    message_status: MessageStatus
    read_status: ReadStatus
    availability: Availability
    priority: str
    created_at: datetime
    last_modified_at: datetime
    conversation_id: str | None
    fax_page_count: int | None = None
    attachments: list[ParsedAttachment] = field(default_factory=list)


def _enum(enum_cls, value, name: str):
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise RecordError(f"{name} must be one of {allowed}; got {value!r}") from None


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_time(value: object, name: str) -> datetime:
    """Return an aware datetime from an ISO-8601 timestamp such as ``2025-07-30T18:12:45.028Z``."""
    if not isinstance(value, str) or not _ISO.match(value):
        raise RecordError(f"{name} must be an ISO-8601 time with a zone; got {value!r}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:  # well-formed but impossible, e.g. month 13 or hour 25
        raise RecordError(f"{name} is not a real date and time; got {value!r}") from None


def _party(raw: object, name: str) -> Party | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise RecordError(f"{name} must be an object")
    phone = raw.get("phoneNumber")
    ext = raw.get("extensionNumber")
    address = str(phone or ext or "")
    if not address:
        return Party(address="", name=raw.get("name"))
    return Party(
        address=address,
        name=raw.get("name"),
        status=raw.get("messageStatus"),
        internal=bool(ext and not phone),
    )


def _attachment(raw: Mapping) -> ParsedAttachment:
    duration = raw.get("vmDuration")
    return ParsedAttachment(
        id=str(raw.get("id", "")),
        kind=str(raw.get("type") or "Text"),
        content_type=str(raw.get("contentType") or "application/octet-stream"),
        uri=raw.get("uri"),
        size=raw.get("size") if isinstance(raw.get("size"), int) else None,
        filename=raw.get("fileName"),
        duration_seconds=float(duration) if isinstance(duration, int | float) else None,
    )


def is_tombstone(record: object) -> bool:
    """A record reduced to id and availability: how a sync reports a purged message."""
    return isinstance(record, Mapping) and "type" not in record and "availability" in record


def parse_unless_tombstone(record: object) -> ParsedRecord | Mapping:
    """The record parsed, or the tombstone as it came (ingestion reads those itself)."""
    return record if is_tombstone(record) else parse_record(record)  # type: ignore[return-value]


def parse_record(record: object) -> ParsedRecord:
    """Return the record as ``ParsedRecord``; raise ``RecordError`` naming a bad field."""
    if not isinstance(record, Mapping):
        raise RecordError("a message record must be a JSON object")
    if record.get("id") in (None, ""):
        raise RecordError("id is required")
    message_type = _enum(MessageType, record.get("type"), "type")
    direction = _enum(Direction, record.get("direction"), "direction")
    created = parse_time(record.get("creationTime"), "creationTime")
    modified_raw = record.get("lastModifiedTime", record.get("creationTime"))
    modified = parse_time(modified_raw, "lastModifiedTime")
    recipients_raw = record.get("to") or []
    if not isinstance(recipients_raw, list):
        raise RecordError("to must be a list")
    recipients = [p for i, r in enumerate(recipients_raw) if (p := _party(r, f"to[{i}]"))]
    conversation = record.get("conversation") or {}
    conversation_id = conversation.get("id") if isinstance(conversation, Mapping) else None
    conversation_id = conversation_id or record.get("conversationId")
    attachments_raw = record.get("attachments") or []
    if not isinstance(attachments_raw, list):
        raise RecordError("attachments must be a list")
    default_status = "Received" if direction == Direction.INBOUND else "Sent"
    return ParsedRecord(
        id=str(record["id"]),
        type=message_type,
        direction=direction,
        sender=_party(record.get("from"), "from"),
        recipients=recipients,
        subject=clean_message_text(str(record.get("subject") or "")),
        message_status=_enum(
            MessageStatus, record.get("messageStatus", default_status), "messageStatus"
        ),
        read_status=_enum(ReadStatus, record.get("readStatus", "Unread"), "readStatus"),
        availability=_enum(Availability, record.get("availability", "Alive"), "availability"),
        priority=str(record.get("priority") or "Normal"),
        created_at=created,
        last_modified_at=modified,
        conversation_id=str(conversation_id) if conversation_id else None,
        fax_page_count=record.get("faxPageCount")
        if isinstance(record.get("faxPageCount"), int)
        else None,
        attachments=[_attachment(a) for a in attachments_raw if isinstance(a, Mapping)],
    )


@dataclass(frozen=True)
class InstantEvent:
    """An instant-message notification: the owner extension's id and the new record."""

    owner_extension_id: str
    record: Mapping


_OWNER_IN_EVENT = re.compile(r"/extension/([^/]+)/message-store/instant")


def parse_instant_event(event: object) -> InstantEvent:
    """Return the owner and record of a ``/message-store/instant`` notification."""
    if not isinstance(event, Mapping) or not isinstance(event.get("body"), Mapping):
        raise RecordError("a notification must be a JSON object with a body")
    match = _OWNER_IN_EVENT.search(str(event.get("event", "")))
    owner = str(event.get("ownerId") or (match.group(1) if match else ""))
    if not owner:
        raise RecordError("the notification names no owner extension")
    return InstantEvent(owner_extension_id=owner, record=event["body"])
