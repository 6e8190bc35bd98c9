"""Retry: send a failed message again as a new attempt in the same conversation.

Like the platforms' own resend, a retry is a new message (new platform id) with the same
sender, text and attachments, to the recipients that failed. Its idempotency key is
derived from the failed message (``retry-<id>``), so clicking Retry twice, or a replayed
POST, makes one new attempt; the failed bubble then says "Sent again" instead of Retry.
"""

from __future__ import annotations

from sqlalchemy import select

from widget import media
from widget.access import message_for
from widget.compose import optout
from widget.compose.recipients import Recipient
from widget.compose.service import Outcome, labels_for, opted_out_error, send_all
from widget.compose.tasks import FAILED
from widget.errors import Conflict
from widget.extensions import db
from widget.models import Direction, Extension, Message, MessageType, SendRequest
from widget.platforms import get_platform
from widget.platforms.base import Outbound, OutboundPart


def retry_key(message: Message) -> str:
    return f"retry-{message.id}"


def was_retried(message: Message) -> bool:
    return (
        db.session.scalar(
            select(SendRequest.id).where(
                SendRequest.extension_id == message.extension_id,
                SendRequest.idempotency_key == retry_key(message),
            )
        )
        is not None
    )


def _parts_of(extension: Extension, message: Message) -> tuple[OutboundPart, ...]:
    parts = []
    for attachment in message.attachments:
        if attachment.storage_path:
            data = media.read_bytes(attachment.storage_path)
        else:
            data = get_platform().fetch_attachment(extension, attachment)
        parts.append(OutboundPart(attachment.content_type, data, attachment.filename or "file"))
    return tuple(parts)


def retry_message(extension: Extension, message_id: int) -> Outcome:
    """Send a failed message again as a new attempt; a second retry replays the first."""
    message = message_for(extension, message_id, change=True)
    if message.direction != Direction.OUTBOUND or message.message_status not in FAILED:
        raise Conflict("Only a message that failed can be sent again.")
    failed = [
        p["address"] for p in message.to_parties if p.get("status") in {s.value for s in FAILED}
    ]
    addresses = failed or [p["address"] for p in message.to_parties if p.get("address")]
    outcome = Outcome()
    if message.type != MessageType.PAGER:
        blocked = optout.blocked_pairs(extension.account_id, [message.from_address], addresses)
        if blocked:
            labels = labels_for(extension, [their for _, their in blocked])
            raise Conflict(
                opted_out_error(", ".join(r.label for r in labels), message.from_address),
            )
    outbound = Outbound(
        message.type,
        message.from_address,
        tuple(addresses),
        message.subject,
        _parts_of(extension, message),
        conversation_id=message.platform_conversation_id,
    )
    label = Recipient(
        raw=", ".join(addresses), label=", ".join(r.label for r in labels_for(extension, addresses))
    )
    return send_all(extension, retry_key(message), [(label, outbound)], outcome)
