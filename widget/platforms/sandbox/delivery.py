"""Messages into the sandbox: RingCentral-shaped records and notifications, then ingestion.

``deliver_inbound`` is what the phone simulator, ``POST /sandbox/inbound`` and
``sidetalk sandbox inbound`` call. It validates everything first so bad input
changes nothing, then ingests one record per mailbox involved.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from widget import media as media_store
from widget.errors import BadInput
from widget.extensions import db
from widget.inbox.events import handle_instant_event
from widget.models import Account, Extension, Message, MessageType, PhoneNumber
from widget.models.types import utcnow
from widget.phone import to_e164
from widget.platforms.sandbox import SANDBOX_URI_PREFIX

TEXT_LIMIT = 1000
INBOUND_FIELDS = {"from", "to", "text", "type"}


@dataclass(frozen=True)
class MediaPart:
    kind: str  # RingCentral attachment type: MmsAttachment, AudioRecording, RenderedDocument...
    content_type: str
    data: bytes
    filename: str | None = None
    duration_seconds: float | None = None


@dataclass(frozen=True)
class InboundMessage:
    sender: str  # E.164, or an extension number for Pager
    recipient: Extension
    recipient_address: str
    text: str
    type: MessageType
    parts: list[MediaPart] = field(default_factory=list)
    page_count: int | None = None


def new_message_id() -> str:
    # RingCentral ids are large integers; random ones never collide with real or seeded ids.
    return str(10**14 + secrets.randbelow(9 * 10**14))


def _sandbox_extension_by_address(address: str, by_extension_number: bool) -> Extension | None:
    if by_extension_number:
        return db.session.scalar(
            select(Extension)
            .join(Account)
            .where(Account.platform == "sandbox", Extension.extension_number == address)
        )
    return db.session.scalar(
        select(Extension)
        .join(PhoneNumber, PhoneNumber.extension_id == Extension.id)
        .join(Account, Account.id == Extension.account_id)
        .where(Account.platform == "sandbox", PhoneNumber.e164 == address)
    )


def parse_inbound(payload: object, region: str = "US") -> InboundMessage:
    """Validate a ``{"from", "to", "text", "type"}`` request; ``BadInput`` names the field."""
    if not isinstance(payload, Mapping):
        raise BadInput("Send a JSON object with from, to, text and type.")
    unknown = sorted(set(payload) - INBOUND_FIELDS)
    if unknown:
        raise BadInput(f"Unknown field(s): {', '.join(unknown)}.", unknown[0])
    raw_type = payload.get("type", "SMS")
    try:
        message_type = MessageType(raw_type)
    except ValueError:
        allowed = ", ".join(t.value for t in MessageType)
        raise BadInput(f"type must be one of {allowed}; got {raw_type!r}.", "type") from None
    for name in ("from", "to", "text"):
        if not isinstance(payload.get(name, ""), str):
            raise BadInput(f"{name} must be a string.", name)
    text = payload.get("text", "")
    if len(text) > TEXT_LIMIT:
        raise BadInput(f"text is {len(text)} characters; the limit is {TEXT_LIMIT}.", "text")
    if message_type in (MessageType.SMS, MessageType.PAGER) and not text.strip():
        raise BadInput("text must not be empty.", "text")
    pager = message_type == MessageType.PAGER
    raw_to = (payload.get("to") or "").strip()
    raw_from = (payload.get("from") or "").strip()
    if pager:
        recipient = _sandbox_extension_by_address(raw_to, by_extension_number=True)
        if recipient is None:
            raise BadInput(f"to must be a demo extension number for Pager; got {raw_to!r}.", "to")
        if _sandbox_extension_by_address(raw_from, by_extension_number=True) is None:
            raise BadInput(
                f"from must be a demo extension number for Pager; got {raw_from!r}.", "from"
            )
        if raw_from == raw_to:
            raise BadInput("from and to must be different extensions.", "from")
        return InboundMessage(raw_from, recipient, raw_to, text, message_type)
    to_address = to_e164(raw_to, region, field="to")
    recipient = _sandbox_extension_by_address(to_address, by_extension_number=False)
    if recipient is None:
        raise BadInput(f"to must be one of the demo extensions' numbers; got {raw_to!r}.", "to")
    sender = to_e164(raw_from, region, field="from")
    # Any of the recipient's own numbers counts: a message to oneself has no other party.
    if sender in {n.e164 for n in recipient.phone_numbers}:
        raise BadInput("from and to must be different numbers.", "from")
    return InboundMessage(sender, recipient, to_address, text, message_type)


def build_record(
    owner: Extension,
    message_type: MessageType,
    direction: str,
    sender: dict,
    recipients: list[dict],
    text: str,
    created_at: datetime,
    parts: list[MediaPart] = (),
    page_count: int | None = None,
    message_status: str | None = None,
    read_status: str | None = None,
    message_id: str | None = None,
) -> tuple[dict, dict[str, bytes]]:
    """Return a RingCentral message-store record for ``owner``'s mailbox and its media bytes."""
    message_id = message_id or new_message_id()
    base = (
        f"https://sandbox.sidetalk.invalid/restapi/v1.0/account/{owner.account.platform_account_id}"
        f"/extension/{owner.platform_extension_id}/message-store/{message_id}"
    )
    attachments: list[dict] = []
    content: dict[str, bytes] = {}
    if text and message_type in (MessageType.SMS, MessageType.PAGER):
        attachments.append(
            {
                "id": message_id,
                "uri": f"{base}/content/{message_id}",
                "type": "Text",
                "contentType": "text/plain",
            }
        )
    for index, part in enumerate(parts, start=1):
        uri = SANDBOX_URI_PREFIX + media_store.store_bytes(part.data)
        item = {
            "id": f"{message_id}{index}",
            "uri": uri,
            "type": part.kind,
            "contentType": part.content_type,
            "size": len(part.data),
        }
        if part.filename:
            item["fileName"] = part.filename
        if part.duration_seconds is not None:
            item["vmDuration"] = round(part.duration_seconds)
        attachments.append(item)
        content[uri] = part.data
    inbound = direction == "Inbound"
    stamp = created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    record = {
        "uri": base,
        "id": message_id,
        "to": recipients,
        "from": sender,
        "type": message_type.value,
        "creationTime": stamp,
        "lastModifiedTime": stamp,
        "readStatus": read_status or ("Unread" if inbound else "Read"),
        "priority": "Normal",
        "attachments": attachments,
        "direction": direction,
        "availability": "Alive",
        "subject": text,
        "messageStatus": message_status or ("Received" if inbound else "Delivered"),
    }
    if page_count is not None:
        record["faxPageCount"] = page_count
        record["faxResolution"] = "High"
    if message_type == MessageType.VOICEMAIL:
        record["vmTranscriptionStatus"] = "Completed" if text else "NotAvailable"
        record["subject"] = ""
        if text:
            uri = f"{SANDBOX_URI_PREFIX}transcription/{message_id}"
            attachments.append(
                {
                    "id": f"{message_id}t",
                    "uri": uri,
                    "type": "AudioTranscription",
                    "contentType": "text/plain",
                }
            )
            content[uri] = text.encode()
    return record, content


def instant_event(owner: Extension, record: dict) -> dict:
    """Wrap ``record`` as RingCentral's ``/message-store/instant`` notification."""
    return {
        "uuid": new_message_id(),
        "event": (
            f"/restapi/v1.0/account/{owner.account.platform_account_id}/extension/"
            f"{owner.platform_extension_id}/message-store/instant?type={record['type']}"
        ),
        "timestamp": record["creationTime"],
        "subscriptionId": "sandbox",
        "ownerId": owner.platform_extension_id,
        "body": {**record, "eventType": "Create"},
    }


def _address(ext_or_number: Extension | str, pager: bool) -> dict:
    if isinstance(ext_or_number, Extension):
        if pager:
            return {"extensionNumber": ext_or_number.extension_number, "name": ext_or_number.name}
        number = ext_or_number.sms_numbers[0].e164 if ext_or_number.sms_numbers else ""
        return {"phoneNumber": number, "name": ext_or_number.name}
    return {"phoneNumber": ext_or_number}


def deliver_inbound(inbound: InboundMessage, at: datetime | None = None) -> Message:
    """Ingest the message into the recipient's mailbox (and the sender's, if internal).

    Returns the recipient's copy. Voicemail and fax get real generated media.
    """
    from widget.platforms.sandbox.media_parts import parts_for

    created_at = at or utcnow()
    pager = inbound.type == MessageType.PAGER
    parts, page_count = parts_for(inbound)
    sender_ext = _sandbox_extension_by_address(inbound.sender, by_extension_number=pager)
    sender = _address(sender_ext, pager) if sender_ext else {"phoneNumber": inbound.sender}
    to_party = (
        {"extensionNumber": inbound.recipient_address, "name": inbound.recipient.name}
        if pager
        else {"phoneNumber": inbound.recipient_address, "name": inbound.recipient.name}
    )
    record, content = build_record(
        inbound.recipient,
        inbound.type,
        "Inbound",
        sender,
        [to_party],
        inbound.text,
        created_at,
        parts,
        page_count,
    )
    result = handle_instant_event("sandbox", instant_event(inbound.recipient, record), content)
    if sender_ext is not None and sender_ext.id != inbound.recipient.id:
        copy, copy_content = build_record(
            sender_ext,
            inbound.type,
            "Outbound",
            sender,
            [to_party],
            inbound.text,
            created_at,
            parts,
            page_count,
        )
        handle_instant_event("sandbox", instant_event(sender_ext, copy), copy_content)
    return result.message
