"""The rows a parsed platform record becomes: the conversation it belongs to, the
message's columns, its parts and what it does to the conversation's summary.

Pure functions of the record (and of the extension's own numbers): ingestion of one
record (``widget.inbox.ingest``) and of a page (``widget.inbox.batch``) write them.
"""

from __future__ import annotations

from collections.abc import Mapping

from widget import media
from widget.inbox.summary import SummaryDelta, counts_as_unread, preview_of
from widget.models import (
    Availability,
    ConversationKind,
    Direction,
    Extension,
    MessageType,
)
from widget.models.message import CHANNEL_OF_TYPE, participants_key
from widget.platforms.records import ParsedRecord, RecordError


def own_addresses(extension: Extension) -> set[str]:
    return {extension.extension_number, *(n.e164 for n in extension.phone_numbers)}


def other_parties(extension: Extension, parsed: ParsedRecord) -> list[str]:
    """Return the sorted addresses of everyone in the message except this extension."""
    mine = own_addresses(extension)
    parties = {p.address for p in parsed.recipients if p.address}
    if parsed.direction == Direction.INBOUND and parsed.sender and parsed.sender.address:
        parties.add(parsed.sender.address)
    others = sorted(parties - mine)
    if not others:
        raise RecordError("the message has no party other than the extension itself")
    return others


def conversation_values(extension: Extension, parsed: ParsedRecord) -> dict:
    """The identity columns of the conversation ``parsed`` belongs to in ``extension``."""
    others = other_parties(extension, parsed)
    if parsed.type == MessageType.PAGER:
        kind = ConversationKind.PAGER
    else:
        kind = ConversationKind.GROUP if len(others) > 1 else ConversationKind.DIRECT
    return {
        "extension_id": extension.id,
        "channel": CHANNEL_OF_TYPE[parsed.type],
        "kind": kind,
        "participants": participants_key(others),
        "platform_conversation_id": parsed.conversation_id,
    }


def parts_summary(parsed: ParsedRecord) -> dict:
    """The attachment facts a preview needs, from the record alone."""
    return {
        "is_mms": any(p.kind == "MmsAttachment" for p in parsed.attachments),
        "duration_seconds": next(
            (p.duration_seconds for p in parsed.attachments if p.duration_seconds), None
        ),
        "page_count": parsed.fax_page_count,
    }


def record_preview(parsed: ParsedRecord) -> str:
    return preview_of(parsed.type, parsed.subject, **parts_summary(parsed))


def new_message_delta(parsed: ParsedRecord) -> SummaryDelta:
    """What storing ``parsed`` as a new message does to its conversation's summary."""
    delta = SummaryDelta()
    if parsed.availability != Availability.ALIVE:
        return delta
    delta.alive = 1
    delta.unread = int(counts_as_unread(parsed.direction, parsed.read_status, parsed.availability))
    delta.offer(parsed.created_at, parsed.type, parsed.direction, record_preview(parsed))
    return delta


def attachment_rows(parsed: ParsedRecord, content: Mapping[str, bytes]) -> list[dict]:
    """The attachment rows of a new message (without ``message_id``)."""
    rows = []
    for part in parsed.attachments:
        if part.kind == "Text":
            continue  # the text is the record's subject; nothing to keep twice
        data = content.get(part.uri or "")
        rows.append(
            {
                "platform_attachment_id": part.id,
                "kind": part.kind,
                "content_type": part.content_type,
                "size": len(data) if data is not None else part.size,
                "filename": media.clean_filename(part.filename),
                "platform_uri": part.uri,
                "storage_path": media.store_bytes(data) if data is not None else None,
                "duration_seconds": part.duration_seconds,
                "page_count": parsed.fax_page_count if part.kind == "RenderedDocument" else None,
                "width": None,
                "height": None,
            }
        )
    return rows


def transcription_of(parsed: ParsedRecord, content: Mapping[str, bytes]) -> str | None:
    for part in parsed.attachments:
        if part.kind == "AudioTranscription" and part.uri in content:
            return content[part.uri].decode("utf-8", errors="replace").strip()
    return None


def parties_json(parsed: ParsedRecord) -> list[dict]:
    return [
        {"address": p.address, "name": p.name, "status": p.status, "internal": p.internal}
        for p in parsed.recipients
    ]


def state_values(parsed: ParsedRecord) -> dict:
    """The columns that change over a message's life, as the record's version has them."""
    values = {
        "message_status": parsed.message_status,
        "read_status": parsed.read_status,
        "availability": parsed.availability,
        "to_parties": parties_json(parsed),
        "last_modified_at": parsed.last_modified_at,
    }
    if parsed.availability == Availability.DELETED:
        values["deleted_at"] = parsed.last_modified_at
    elif parsed.availability == Availability.PURGED:
        values["purged_at"] = parsed.last_modified_at
    return values


def message_values(
    extension: Extension,
    conversation_id: int | None,
    parsed: ParsedRecord,
    platform: str,
    content: Mapping[str, bytes],
) -> dict:
    """Every column of a new message from ``parsed`` (``conversation_id`` None: the
    statement storing it takes the id from its conversation's upsert)."""
    return {
        "extension_id": extension.id,
        "conversation_id": conversation_id,
        "platform": platform,
        "platform_message_id": parsed.id,
        "platform_conversation_id": parsed.conversation_id,
        "type": parsed.type,
        "direction": parsed.direction,
        "from_address": parsed.sender.address if parsed.sender else "",
        "from_name": parsed.sender.name if parsed.sender else None,
        "subject": parsed.subject,
        "priority": parsed.priority,
        "created_at": parsed.created_at,
        "transcription": transcription_of(parsed, content),
        "deleted_at": None,
        "purged_at": None,
        **state_values(parsed),
    }
