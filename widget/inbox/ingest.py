"""Ingestion: the one path by which platform records become messages.

Webhooks, the sandbox and (later) message-store sync all call ``ingest_record``. It is
idempotent: the unique (platform, platform_message_id) constraint means a record
delivered twice is one message, and ``lastModifiedTime`` decides between two versions,
so an older version arriving late never overwrites a newer one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from blinker import Namespace
from sqlalchemy import and_, func, select

from widget import media
from widget.extensions import db
from widget.models import (
    Attachment,
    Availability,
    Conversation,
    ConversationKind,
    Direction,
    Extension,
    Message,
    MessageType,
    ReadStatus,
)
from widget.models.message import CHANNEL_OF_TYPE
from widget.models.queries import insert_once
from widget.platforms.records import ParsedRecord, RecordError, parse_record

_signals = Namespace()
# Sent after the commit that made the change visible: receivers may publish events.
messages_changed = _signals.signal("messages-changed")
# Sent inside the ingesting transaction, before the commit, for every new message: what a
# receiver records (e.g. an SMS opt-out) commits or rolls back together with the message.
message_ingested = _signals.signal("message-ingested")

PREVIEW_LENGTH = 140


@dataclass(frozen=True)
class IngestResult:
    message: Message
    created: bool
    changed: bool


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


def participants_key(addresses: list[str]) -> str:
    return "," + ",".join(sorted(addresses)) + ","


def _conversation_for(extension: Extension, parsed: ParsedRecord) -> Conversation:
    channel = CHANNEL_OF_TYPE[parsed.type]
    if parsed.conversation_id:
        # A group conversation Sidetalk created (a pager group) keeps its thread when its
        # members change, so the platform's conversation id finds it before the members do.
        group = db.session.scalar(
            select(Conversation).where(
                Conversation.extension_id == extension.id,
                Conversation.channel == channel,
                Conversation.kind == ConversationKind.GROUP,
                Conversation.platform_conversation_id == parsed.conversation_id,
            )
        )
        if group is not None:
            return group
    others = other_parties(extension, parsed)
    key = participants_key(others)
    found = db.session.scalar(
        select(Conversation).where(
            Conversation.extension_id == extension.id,
            Conversation.channel == channel,
            Conversation.participants == key,
        )
    )
    if found is not None:
        return found
    if parsed.type == MessageType.PAGER:
        kind = ConversationKind.PAGER
    else:
        kind = ConversationKind.GROUP if len(others) > 1 else ConversationKind.DIRECT
    conversation = Conversation(
        extension_id=extension.id,
        channel=channel,
        kind=kind,
        participants=key,
        platform_conversation_id=parsed.conversation_id,
        last_message_at=parsed.created_at,
        last_message_type=parsed.type,
        last_direction=parsed.direction,
    )
    if not insert_once(conversation):
        # Another worker created it between our select and insert: use theirs.
        return db.session.scalars(
            select(Conversation).where(
                Conversation.extension_id == extension.id,
                Conversation.channel == channel,
                Conversation.participants == key,
            )
        ).one()
    return conversation


def _new_attachments(parsed: ParsedRecord, content: Mapping[str, bytes]) -> list[Attachment]:
    result = []
    for part in parsed.attachments:
        if part.kind == "Text":
            continue  # the text is the record's subject; nothing to keep twice
        data = content.get(part.uri or "")
        result.append(
            Attachment(
                platform_attachment_id=part.id,
                kind=part.kind,
                content_type=part.content_type,
                size=len(data) if data is not None else part.size,
                filename=part.filename,
                platform_uri=part.uri,
                storage_path=media.store_bytes(data) if data is not None else None,
                duration_seconds=part.duration_seconds,
                page_count=parsed.fax_page_count if part.kind == "RenderedDocument" else None,
            )
        )
    return result


def _transcription(parsed: ParsedRecord, content: Mapping[str, bytes]) -> str | None:
    for part in parsed.attachments:
        if part.kind == "AudioTranscription" and part.uri in content:
            return content[part.uri].decode("utf-8", errors="replace").strip()
    return None


def _apply_state(message: Message, parsed: ParsedRecord) -> None:
    """Copy the fields that change over a message's life from a newer record version."""
    message.message_status = parsed.message_status
    message.read_status = parsed.read_status
    if parsed.availability != message.availability:
        message.availability = parsed.availability
        if parsed.availability == Availability.DELETED:
            message.deleted_at = parsed.last_modified_at
        elif parsed.availability == Availability.PURGED:
            message.purged_at = parsed.last_modified_at
    message.to_parties = _parties_json(parsed)
    message.last_modified_at = parsed.last_modified_at


def _parties_json(parsed: ParsedRecord) -> list[dict]:
    return [
        {"address": p.address, "name": p.name, "status": p.status, "internal": p.internal}
        for p in parsed.recipients
    ]


def ingest_record(
    extension: Extension,
    record: Mapping | ParsedRecord,
    platform: str,
    content: Mapping[str, bytes] | None = None,
) -> IngestResult:
    """Insert or update one record in ``extension``'s mailbox; the caller commits.

    ``content`` maps attachment URIs to bytes the platform already has in hand (the
    sandbox); other attachments are fetched on first view.
    """
    parsed = record if isinstance(record, ParsedRecord) else parse_record(record)
    content = content or {}
    existing = _find(platform, parsed.id)
    if existing is None:
        conversation = _conversation_for(extension, parsed)
        message = Message(
            extension_id=extension.id,
            conversation_id=conversation.id,
            platform=platform,
            platform_message_id=parsed.id,
            platform_conversation_id=parsed.conversation_id,
            type=parsed.type,
            direction=parsed.direction,
            from_address=parsed.sender.address if parsed.sender else "",
            from_name=parsed.sender.name if parsed.sender else None,
            subject=parsed.subject,
            priority=parsed.priority,
            created_at=parsed.created_at,
            transcription=_transcription(parsed, content),
            attachments=_new_attachments(parsed, content),
        )
        _apply_state(message, parsed)
        if insert_once(message):
            refresh_conversation(conversation)
            message_ingested.send(extension, message=message)
            return IngestResult(message=message, created=True, changed=True)
        # Delivered twice at once: another worker stored it; this version updates theirs.
        existing = _find(platform, parsed.id)
        if existing is None:
            raise RuntimeError(f"message {parsed.id} was refused, yet is not stored")
    if existing.extension_id != extension.id:
        raise RecordError("the record belongs to another extension's mailbox")
    if parsed.last_modified_at <= existing.last_modified_at:
        return IngestResult(message=existing, created=False, changed=False)
    _apply_state(existing, parsed)
    refresh_conversation(existing.conversation)
    return IngestResult(message=existing, created=False, changed=True)


def _find(platform: str, platform_message_id: str) -> Message | None:
    return db.session.scalar(
        select(Message).where(
            Message.platform == platform, Message.platform_message_id == platform_message_id
        )
    )


def refresh_conversation(conversation: Conversation) -> None:
    """Recompute the list summary (latest message, unread count) from the messages."""
    db.session.flush()
    alive = and_(
        Message.conversation_id == conversation.id, Message.availability == Availability.ALIVE
    )
    latest = db.session.scalars(
        select(Message).where(alive).order_by(Message.created_at.desc(), Message.id.desc())
    ).first()
    conversation.unread_count = db.session.scalar(
        select(func.count()).where(
            alive,
            Message.read_status == ReadStatus.UNREAD,
            Message.direction == Direction.INBOUND,
        )
    )
    conversation.message_count = db.session.scalar(select(func.count()).where(alive))
    if latest is None:
        conversation.availability = Availability.DELETED
        conversation.unread_count = 0
        return
    conversation.availability = Availability.ALIVE
    conversation.last_message_at = latest.created_at
    conversation.last_message_type = latest.type
    conversation.last_direction = latest.direction
    conversation.preview = preview_text(latest)


def preview_text(message: Message) -> str:
    """A one-line summary of ``message`` for its conversation's list row."""
    if message.type == MessageType.VOICEMAIL:
        seconds = next((a.duration_seconds for a in message.attachments if a.duration_seconds), 0)
        return f"Voicemail ({int(seconds) // 60}:{int(seconds) % 60:02d})"
    if message.type == MessageType.FAX:
        pages = next((a.page_count for a in message.attachments if a.page_count), 1)
        return f"Fax, {pages} page{'s' if pages != 1 else ''}"
    text = " ".join(message.subject.split())
    if not text and message.is_mms:
        return "Picture message"
    return text[:PREVIEW_LENGTH]
