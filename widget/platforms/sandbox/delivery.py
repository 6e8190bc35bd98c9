"""Messages into the sandbox: RingCentral-shaped records and notifications.

``deliver_inbound`` is what the phone simulator, ``POST /sandbox/inbound`` and
``sidetalk sandbox inbound`` call. It validates everything first so bad input
changes nothing, then hands one record per mailbox involved to the app's event sink.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select

from widget import media as media_store
from widget.errors import Invalid
from widget.extensions import db
from widget.inputs import clean_message_text, utf16_length
from widget.models import (
    Direction,
    Extension,
    Message,
    MessageType,
)
from widget.models.types import utcnow
from widget.phone import to_e164
from widget.platforms import get_platform
from widget.platforms.sandbox.directory import extensions_by_address, text_parties
from widget.platforms.sandbox.media_parts import parts_for
from widget.platforms.sandbox.messages import (
    SANDBOX_URI_PREFIX,
    InboundMessage,
    MediaPart,
    new_message_id,
)

TEXT_LIMIT = 1000
INBOUND_FIELDS = {"from", "to", "text", "type"}


def _sandbox_extension_by_address(address: str, by_extension_number: bool) -> Extension | None:
    return extensions_by_address([address], by_extension_number).get(address)


def parse_inbound(
    payload: object, region: str = "US", parts: tuple[MediaPart, ...] = ()
) -> InboundMessage:
    """Validate a ``{"from", "to", "text", "type"}`` request; ``Invalid`` names the field.

    ``parts`` are the pictures of an MMS (checked by the caller): with one, the text may
    be empty.
    """
    if not isinstance(payload, Mapping):
        raise Invalid("Send a JSON object with from, to, text and type.")
    unknown = sorted(set(payload) - INBOUND_FIELDS)
    if unknown:
        raise Invalid(f"Unknown field(s): {', '.join(unknown)}.", unknown[0])
    raw_type = payload.get("type", "SMS")
    try:
        message_type = MessageType(raw_type)
    except ValueError:
        allowed = ", ".join(t.value for t in MessageType)
        raise Invalid(f"type must be one of {allowed}; got {raw_type!r}.", "type") from None
    for name in ("from", "to", "text"):
        if not isinstance(payload.get(name, ""), str):
            raise Invalid(f"{name} must be a string.", name)
    text = clean_message_text(payload.get("text", ""))
    # Counted like compose and RingCentral: UTF-16 units (an emoji is two).
    if (length := utf16_length(text)) > TEXT_LIMIT:
        raise Invalid(f"text is {length} characters; the limit is {TEXT_LIMIT}.", "text")
    if parts and message_type != MessageType.SMS:
        raise Invalid("Only a text message can carry a picture.", "type")
    if message_type in (MessageType.SMS, MessageType.PAGER) and not text.strip() and not parts:
        raise Invalid("text must not be empty.", "text")
    pager = message_type == MessageType.PAGER
    raw_to = (payload.get("to") or "").strip()
    raw_from = (payload.get("from") or "").strip()
    if pager:
        found = extensions_by_address([raw_to, raw_from], by_extension_number=True)
        recipient = found.get(raw_to)
        if recipient is None:
            raise Invalid(f"to must be a demo extension number for Pager; got {raw_to!r}.", "to")
        if raw_from not in found:
            raise Invalid(
                f"from must be a demo extension number for Pager; got {raw_from!r}.", "from"
            )
        if raw_from == raw_to:
            raise Invalid("from and to must be different extensions.", "from")
        return InboundMessage(
            raw_from, recipient, raw_to, text, message_type, sender_extension=found[raw_from]
        )
    to_address = to_e164(raw_to, region, field="to")
    sender = to_e164(raw_from, region, field="from")
    found, in_a_group = text_parties(to_address, sender)
    recipient = found.get(to_address)
    if recipient is None:
        raise Invalid(f"to must be one of the demo extensions' numbers; got {raw_to!r}.", "to")
    # Any of the recipient's own numbers counts: a message to oneself has no other party.
    if sender in {n.e164 for n in recipient.phone_numbers}:
        raise Invalid("from and to must be different numbers.", "from")
    return InboundMessage(
        sender,
        recipient,
        to_address,
        text,
        message_type,
        list(parts),
        sender_extension=found.get(sender),
        sender_in_a_group=in_a_group,
    )


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


REPLY_LOOKBACK = 50


def _thread_answered(recipient: Extension, our_number: str, their_number: str) -> str | None:
    """The conversation a text from ``their_number`` answers, as the carrier threads it.

    A reply belongs with the last text ``our_number`` sent to that number alone: when that
    text went to a pager group's outside member, the answer is the group's, for everyone
    in the group, not the one-to-one thread's.
    """
    recent = db.session.scalars(
        select(Message)
        .where(
            Message.extension_id == recipient.id,
            Message.direction == Direction.OUTBOUND,
            Message.type == MessageType.SMS,
            Message.from_address == our_number,
        )
        .order_by(Message.id.desc())
        .limit(REPLY_LOOKBACK)
    )
    for sent in recent:
        addresses = [p.get("address") for p in sent.to_parties]
        if addresses == [their_number]:
            return sent.platform_conversation_id
    return None


def deliver_inbound(inbound: InboundMessage, at: datetime | None = None) -> Message:
    """Ingest the message into the recipient's mailbox (and the sender's, if internal).

    Returns the recipient's copy. Voicemail and fax get real generated media.
    """
    created_at = at or utcnow()
    pager = inbound.type == MessageType.PAGER
    parts, page_count = parts_for(inbound)
    sender_ext = inbound.sender_extension
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
    if inbound.type == MessageType.SMS and sender_ext is None and inbound.sender_in_a_group:
        thread = _thread_answered(inbound.recipient, inbound.recipient_address, inbound.sender)
        if thread:
            record["conversationId"] = thread
            record["conversation"] = {"id": thread}
    sink = get_platform().sink
    message = sink.record_changed(inbound.recipient, record, content)
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
        sink.record_changed(sender_ext, copy, copy_content)
    return message
