"""Sending and changing messages in RingCentral's message store."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from widget.models import Attachment, Availability, Extension, Message, MessageType
from widget.platforms.base import Outbound, PlatformRefused
from widget.platforms.ringcentral.client import MINE, ApiRefused

Call = Callable[..., dict | None]


def _envelope(outbound: Outbound) -> tuple[str, dict, list]:
    to_key = "extensionNumber" if outbound.type == MessageType.PAGER else "phoneNumber"
    to = [{to_key: r} for r in outbound.recipients]
    if outbound.type == MessageType.PAGER:
        body = {"from": {"extensionNumber": outbound.sender}, "to": to, "text": outbound.text}
        return f"{MINE}/company-pager", body, []
    files = [
        ("attachment", (part.filename, part.data, part.content_type)) for part in outbound.parts
    ]
    if outbound.type == MessageType.FAX:
        body = {"to": to, "faxResolution": "High", "coverPageText": outbound.cover_page_text}
        return f"{MINE}/fax", body, files
    body = {"from": {"phoneNumber": outbound.sender}, "to": to}
    if outbound.text:
        body["text"] = outbound.text
    return (f"{MINE}/mms" if files else f"{MINE}/sms"), body, files


def send(call: Call, outbound: Outbound) -> dict:
    """Send ``outbound``; return the sender's record (Queued, or Sent for Pager).

    Refusals (4xx) raise ``PlatformRefused`` with RingCentral's reason; a rate limit or
    an outage raises ``PlatformRetryable`` for the caller to keep the message waiting.
    """
    path, body, files = _envelope(outbound)
    try:
        if files:
            parts = [("json", ("request.json", json.dumps(body), "application/json")), *files]
            return call("POST", path, files=parts)
        return call("POST", path, json=body)
    except ApiRefused as exc:
        raise PlatformRefused(f"RingCentral did not send it: {exc.message}") from None


RECONCILE_PER_PAGE = 100


def _numbers(parties) -> set[str]:
    return {
        str(p.get("phoneNumber") or p.get("extensionNumber") or "")
        for p in parties or []
        if isinstance(p, dict)
    }


def _is_the_send(record: dict, outbound: Outbound) -> bool:
    if record.get("direction") != "Outbound" or record.get("availability") == "Purged":
        return False
    if str(record.get("type")) != outbound.type.value:
        return False
    if _numbers(record.get("to")) != set(outbound.recipients):
        return False
    if outbound.type == MessageType.FAX:
        return True  # a fax carries no text to compare; same recipients in the window
    return (record.get("subject") or "") == (outbound.text or "")


def sent_since(call: Call, outbound: Outbound, since: str) -> list[dict]:
    """Outbound records matching ``outbound`` created since ``since`` (ISO time), oldest first.

    RingCentral has no idempotency key: after a send that got no answer, this is how
    Sidetalk learns whether RingCentral took it anyway (``GET .../message-store``
    filtered by direction, type, the first recipient and the creation window).
    """
    params = {
        "direction": "Outbound",
        "messageType": outbound.type.value,
        "dateFrom": since,
        "perPage": RECONCILE_PER_PAGE,
    }
    if outbound.type != MessageType.PAGER and outbound.recipients:
        params["phoneNumber"] = outbound.recipients[0]
    body = call("GET", f"{MINE}/message-store", params=params) or {}
    found = [
        r for r in body.get("records") or [] if isinstance(r, dict) and _is_the_send(r, outbound)
    ]
    return sorted(found, key=lambda r: (str(r.get("creationTime")), int(r.get("id") or 0)))


def record(call: Call, message_id: str) -> dict | None:
    """Return the current record, or None when RingCentral no longer has it."""
    try:
        return call("GET", f"{MINE}/message-store/{message_id}")
    except ApiRefused as exc:
        if exc.status == 404:
            return None
        raise


def set_read(call: Call, messages: Iterable[Message], read: bool) -> None:
    for message in messages:
        _quietly_gone(
            call,
            "PUT",
            f"{MINE}/message-store/{message.platform_message_id}",
            json={"readStatus": "Read" if read else "Unread"},
        )


def set_availability(call: Call, messages: Iterable[Message], availability: Availability):
    for message in messages:
        path = f"{MINE}/message-store/{message.platform_message_id}"
        if availability == Availability.ALIVE:
            _quietly_gone(call, "PATCH", path, json={"availability": "Alive"})
        elif availability == Availability.PURGED:
            _quietly_gone(call, "DELETE", path, params={"purge": "true"})
        else:
            _quietly_gone(call, "DELETE", path)


def _quietly_gone(call: Call, method: str, path: str, **kwargs) -> None:
    try:
        call(method, path, **kwargs)
    except ApiRefused as exc:
        if exc.status != 404:  # already gone there: the change is moot, not an error
            raise PlatformRefused(exc.message) from None


def attachment_path(extension: Extension, attachment: Attachment, allowed_hosts: tuple[str, ...]):
    """Return the attachment's URI if it points at RingCentral; the token goes nowhere else."""
    uri = attachment.platform_uri or ""
    if not uri.startswith(allowed_hosts):
        raise PlatformRefused("This attachment is not on RingCentral's media host.")
    return uri
