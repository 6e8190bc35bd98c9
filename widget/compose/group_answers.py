"""An outside member's answer to a mixed pager group reaches every internal member.

Outside members are texted one by one from the sending member's number, so their answer
arrives in that member's mailbox only (ingestion files it in the group's thread there).
Pager groups are Sidetalk's, not the platform's: Sidetalk itself gives every other
internal member their own copy, in their own group thread, inside the transaction that
stores the answer, so the copies commit, push and roll back with it.

Exactly once per member, whatever the redeliveries: a copy's platform id is the answer's
id plus the member's extension id, and ingestion stores one message per platform id.
A copy is addressed to the number the answer was sent to, which is none of the member's
own numbers, so a copy is never relayed again.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from widget import media
from widget.extensions import db
from widget.inbox.announce import announce_staged
from widget.inbox.ingest import ingest_record, own_addresses
from widget.models import (
    Availability,
    Channel,
    ConversationKind,
    Direction,
    Extension,
    Message,
    MessageType,
    PagerGroup,
    PagerGroupMember,
    ReadStatus,
)
from widget.platforms.records import ParsedAttachment, ParsedRecord, Party


def is_group_answer(extension: Extension, message: Message) -> bool:
    """Whether ``message`` is an outside member's text to ``extension``'s own number,
    filed in a pager group's thread (decided from what the session holds: no statement)."""
    conversation = message.conversation
    if message.type != MessageType.SMS or message.direction != Direction.INBOUND:
        return False
    if conversation.kind != ConversationKind.GROUP or conversation.channel != Channel.PAGER:
        return False
    addressed = {p.get("address") for p in message.to_parties}
    return bool(addressed & own_addresses(extension))


def _other_members(extension: Extension, group_conversation_id: str) -> list[Extension]:
    """The group's internal members except ``extension``, ready for ingestion."""
    return list(
        db.session.scalars(
            select(Extension)
            .join(PagerGroupMember, PagerGroupMember.extension_id == Extension.id)
            .join(PagerGroup, PagerGroup.id == PagerGroupMember.group_id)
            .where(
                PagerGroup.platform_conversation_id == group_conversation_id,
                Extension.id != extension.id,
            )
            .options(joinedload(Extension.phone_numbers), joinedload(Extension.account))
        ).unique()
    )


def copy_record(message: Message, member: Extension) -> ParsedRecord:
    """``member``'s copy of the answer ``message``: unread, the same words and pictures."""
    return ParsedRecord(
        id=f"{message.platform_message_id}~{member.id}",
        type=message.type,
        direction=Direction.INBOUND,
        sender=Party(message.from_address, message.from_name),
        recipients=[Party(p["address"], p.get("name")) for p in message.to_parties],
        subject=message.subject,
        message_status=message.message_status,
        read_status=ReadStatus.UNREAD,
        availability=Availability.ALIVE,
        priority=message.priority,
        created_at=message.created_at,
        last_modified_at=message.created_at,
        conversation_id=message.platform_conversation_id,
        attachments=[
            ParsedAttachment(
                id=a.platform_attachment_id,
                kind=a.kind,
                content_type=a.content_type,
                uri=a.platform_uri,
                size=a.size,
                filename=a.filename,
            )
            for a in message.attachments
        ],
    )


def _stored_content(message: Message) -> dict[str, bytes]:
    """The answer's pictures already kept here, by URI: the copies share the stored file
    (media is stored by content), so no member fetches them from another's mailbox."""
    return {
        a.platform_uri: media.read_bytes(a.storage_path)
        for a in message.attachments
        if a.platform_uri and a.storage_path
    }


def share_group_answer(extension: Extension, message: Message, **_: object) -> None:
    """``message_ingested`` receiver: copy a group answer into the other members' threads."""
    if not is_group_answer(extension, message):
        return
    content = _stored_content(message)
    for member in _other_members(extension, message.conversation.platform_conversation_id):
        parsed = copy_record(message, member)
        result = ingest_record(member, parsed, message.platform, content)
        if result.created:
            announce_staged(member, [result.message], "created")
