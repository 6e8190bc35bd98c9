"""Outbound messages on the sandbox: accept a send, then play the carrier one step at a time.

``accept`` answers like RingCentral's ``POST /sms``, ``/mms``, ``/company-pager`` and ``/fax``:
the sender's record with messageStatus Queued (Sent for Pager). ``current_record`` answers
like ``GET /message-store/{id}``, except that asking is what moves the simulated carrier one
step (Queued -> Sent -> Delivered, or a failure for the configured failing numbers): the
sandbox has no carrier clock of its own, so delivery advances exactly as often as Sidetalk's
scheduled status task polls. When a message reaches a number or extension of the demo
account, that mailbox receives its inbound copy through the app's event sink.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from widget import media as media_store
from widget import pdf
from widget.extensions import db
from widget.models import Extension, Message, MessageStatus, MessageType
from widget.models.types import utcnow
from widget.platforms.base import EventSink, Outbound, OutboundPart, PlatformRefused
from widget.platforms.sandbox.delivery import _sandbox_extension_by_address, build_record
from widget.platforms.sandbox.generated import fax_pages, fax_pdf
from widget.platforms.sandbox.messages import SANDBOX_URI_PREFIX, MediaPart
from widget.platforms.sandbox.store import party, stored_record

QUEUED, SENT, DELIVERED = MessageStatus.QUEUED, MessageStatus.SENT, MessageStatus.DELIVERED
SENDING_FAILED, DELIVERY_FAILED = MessageStatus.SENDING_FAILED, MessageStatus.DELIVERY_FAILED
FAILED = {SENDING_FAILED, DELIVERY_FAILED}
PART_KIND = {MessageType.SMS: "MmsAttachment", MessageType.FAX: "RenderedDocument"}


def _account_extension(owner: Extension, extension_number: str) -> Extension | None:
    return db.session.scalar(
        select(Extension).where(
            Extension.account_id == owner.account_id,
            Extension.extension_number == extension_number,
            Extension.people(),
        )
    )


def _check_sender(owner: Extension, outbound: Outbound) -> None:
    if outbound.type == MessageType.PAGER:
        if outbound.sender != owner.extension_number:
            raise PlatformRefused("Pager messages are sent from your own extension number.")
        for address in outbound.recipients:
            if _account_extension(owner, address) is None:
                raise PlatformRefused(f"Ext. {address} is not an extension of this account.")
        return
    usable = [
        n.e164
        for n in owner.phone_numbers
        if (n.fax_enabled if outbound.type == MessageType.FAX else n.sms_enabled)
    ]
    if outbound.sender not in usable:
        raise PlatformRefused(f"{outbound.sender} is not one of your numbers.")


def _cover_page(outbound: Outbound) -> tuple[OutboundPart, int]:
    """Return the rendered cover page and how many pages it has."""
    lines = [
        line
        for paragraph in outbound.cover_page_text.splitlines()
        for line in textwrap.wrap(paragraph) or [""]
    ]
    document = fax_pdf(
        "Fax cover page", lines, sender=outbound.sender, recipient=", ".join(outbound.recipients)
    )
    return OutboundPart("application/pdf", document, "cover.pdf"), fax_pages(lines)


def _fax_pages(parts: list[OutboundPart]) -> int:
    """Return the pages of the documents to fax, read as the carrier would render them."""
    try:
        return sum(pdf.page_count(part.data) for part in parts)
    except pdf.PdfError as exc:
        raise PlatformRefused(f"The document cannot be faxed: {exc}.") from None


def accept(owner: Extension, outbound: Outbound, now: datetime | None = None) -> dict:
    """Take ``outbound`` from ``owner``; return the sender's record (Queued, or Sent for Pager)."""
    _check_sender(owner, outbound)
    created = now or utcnow()
    pager = outbound.type == MessageType.PAGER
    status = SENT if pager else QUEUED
    parts = list(outbound.parts)
    pages = None
    if outbound.type == MessageType.FAX:
        pages = _fax_pages(parts)
        if outbound.cover_page_text:
            cover, cover_pages = _cover_page(outbound)  # the platform renders it, as RC does
            parts.insert(0, cover)
            pages += cover_pages
    record, _content = build_record(
        owner,
        outbound.type,
        "Outbound",
        party(outbound.sender) | {"name": owner.name},
        [party(a, status) for a in outbound.recipients],
        outbound.text,
        created,
        [MediaPart(PART_KIND[outbound.type], p.content_type, p.data, p.filename) for p in parts],
        pages,
        message_status=status.value,
        read_status="Read",
    )
    if outbound.type == MessageType.SMS:
        record["smsSendingAttemptsCount"] = 1
    if outbound.type == MessageType.FAX:
        record["coverIndex"] = 1 if outbound.cover_page_text else 0
        record["coverPageText"] = outbound.cover_page_text
    if pager:
        record["pgToDepartment"] = False
    if outbound.conversation_id:
        record["conversationId"] = outbound.conversation_id
        record["conversation"] = {"id": outbound.conversation_id}
    return record


def _matches(address: str, prefixes: Iterable[str]) -> bool:
    return any(prefix and address.startswith(prefix) for prefix in prefixes)


def _next_status(message_type: MessageType, address: str, status: MessageStatus) -> MessageStatus:
    """One carrier step for one recipient."""
    failing = current_app.config["SANDBOX_FAILING_NUMBERS"]
    unsendable = current_app.config["SANDBOX_UNSENDABLE_NUMBERS"]
    if status == QUEUED:
        if _matches(address, unsendable):
            return SENDING_FAILED
        if message_type == MessageType.FAX and _matches(address, failing):
            return SENDING_FAILED  # a fax has no delivery receipt: it fails while sending
        return SENT
    if status == SENT and message_type == MessageType.SMS:
        return DELIVERY_FAILED if _matches(address, failing) else DELIVERED
    return status


def _overall(message_type: MessageType, statuses: list[MessageStatus]) -> MessageStatus:
    """The message's status from its recipients' statuses (RingCentral reports both)."""
    final = {SENT} | FAILED if message_type != MessageType.SMS else {DELIVERED} | FAILED
    if not all(s in final for s in statuses):
        return QUEUED if QUEUED in statuses else SENT
    for failure in (SENDING_FAILED, DELIVERY_FAILED):
        if failure in statuses:
            return failure
    return DELIVERED if message_type == MessageType.SMS else SENT


def _attachment_bytes(message: Message) -> list[MediaPart]:
    parts = []
    for attachment in message.attachments:
        # Kept locally once viewed; else still where the sandbox stored it when sending.
        path = attachment.storage_path or (attachment.platform_uri or "").removeprefix(
            SANDBOX_URI_PREFIX
        )
        data = media_store.read_bytes(path)
        parts.append(MediaPart(attachment.kind, attachment.content_type, data, attachment.filename))
    return parts


def _deliver_copy(
    sink: EventSink, owner: Extension, message: Message, address: str, now: datetime
) -> None:
    """Put the inbound copy of ``message`` into the mailbox owning ``address``, once."""
    pager = message.type == MessageType.PAGER
    recipient = _sandbox_extension_by_address(address, by_extension_number=pager)
    if recipient is None or recipient.id == owner.id:
        return  # an outside number: the simulated carrier delivered it out there
    others = [p["address"] for p in message.to_parties if p.get("address")]
    page_count = next((a.page_count for a in message.attachments if a.page_count), None)
    record, content = build_record(
        recipient,
        message.type,
        "Inbound",
        party(message.from_address) | {"name": owner.name},
        [party(a) for a in others],
        message.subject,
        now,
        _attachment_bytes(message),
        page_count,
        message_id=f"{message.platform_message_id}-{address.lstrip('+')}",
    )
    if message.platform_conversation_id:
        record["conversationId"] = message.platform_conversation_id
        record["conversation"] = {"id": message.platform_conversation_id}
    sink.record_changed(recipient, record, content)


def _record_of(owner: Extension, message: Message, statuses: list[MessageStatus], modified) -> dict:
    return stored_record(owner, message, statuses, _overall(message.type, statuses), modified)


def current_record(
    sink: EventSink, owner: Extension, message: Message, now: datetime | None = None
) -> dict:
    """Return ``message``'s record after one more carrier step (unchanged once final).

    A copy reaching a mailbox of the demo account goes to ``sink`` on the way.
    """
    now = now or utcnow()
    parties = [p for p in message.to_parties if p.get("address")]
    before = [MessageStatus(p.get("status") or message.message_status.value) for p in parties]
    after = [
        _next_status(message.type, p["address"], s) for p, s in zip(parties, before, strict=True)
    ]
    for recipient, old, new in zip(parties, before, after, strict=True):
        reached = new == SENT and old != SENT
        if reached or (message.type == MessageType.PAGER and new == SENT):
            _deliver_copy(sink, owner, message, recipient["address"], now)
    if after == before:
        return _record_of(owner, message, after, message.last_modified_at)
    # Each version must be strictly newer than the last, or ingestion would ignore it.
    moment = max(
        now.replace(microsecond=now.microsecond // 1000 * 1000),
        message.last_modified_at + timedelta(milliseconds=1),
    )
    return _record_of(owner, message, after, moment)
