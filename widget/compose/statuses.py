"""Outbound statuses in words, with the reason when a message did not go.

RingCentral reports ``Queued``, ``Sent``, ``Delivered``, ``SendingFailed`` and
``DeliveryFailed`` per message and per recipient (``to[].messageStatus``), and for faxes a
``faxErrorCode``; a person reads what happened, not those words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from widget.models import Message, MessageStatus, MessageType

FAILED = frozenset({MessageStatus.SENDING_FAILED, MessageStatus.DELIVERY_FAILED})

LABELS = {
    MessageStatus.QUEUED: "Sending…",
    MessageStatus.SENT: "Sent",
    MessageStatus.DELIVERED: "Delivered",
    MessageStatus.SENDING_FAILED: "Not sent",
    MessageStatus.DELIVERY_FAILED: "Not delivered",
}

REASONS = {
    (MessageType.SMS, MessageStatus.SENDING_FAILED): (
        "The carrier refused to send it; the number may not accept texts."
    ),
    (MessageType.SMS, MessageStatus.DELIVERY_FAILED): (
        "It was sent, but their carrier could not deliver it; the phone may be off or "
        "unable to receive texts."
    ),
    (MessageType.FAX, MessageStatus.SENDING_FAILED): "The fax could not be sent.",
    (MessageType.PAGER, MessageStatus.SENDING_FAILED): "The page could not be sent.",
}


@dataclass(frozen=True)
class StatusView:
    label: str
    reason: str | None
    failed: bool


def _words(code: str) -> str:
    """``LineBusy`` -> ``line busy``."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", code).lower()


def status_of(message: Message) -> StatusView:
    """What a person reads under an outbound message."""
    status = message.message_status
    failed = status in FAILED
    reason = REASONS.get((message.type, status)) if failed else None
    if failed and message.type == MessageType.FAX:
        codes = {p.get("faxErrorCode") for p in message.to_parties if p.get("faxErrorCode")}
        if codes:
            reason = f"The fax could not be sent: {', '.join(sorted(_words(c) for c in codes))}."
    if failed and len(message.to_parties) > 1:
        failed_to = [
            p.get("name") or p.get("address")
            for p in message.to_parties
            if p.get("status") in {s.value for s in FAILED}
        ]
        if failed_to:
            reason = f"{reason or ''} Not received by {', '.join(failed_to)}.".strip()
    return StatusView(LABELS.get(status, status.value), reason, failed)
