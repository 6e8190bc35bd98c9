"""What a webhook request does: checked by the platform first, then acted on.

Nothing is read from a notification before its Verification-Token matched, and a
rejected one changes nothing. A notification that is well-formed but of an event type
Sidetalk does not handle is acknowledged (RingCentral would otherwise retry it and, after
repeated failures, blacklist the whole subscription) and ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from manifest.json_text import loads_bounded
from widget.errors import Forbidden, Invalid, NotFound
from widget.platforms import get_platform
from widget.platforms.base import WebhookOutcome
from widget.platforms.records import RecordError

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    outcome: str = ""


def receive(platform_name: str, headers: Mapping[str, str], body: bytes) -> WebhookAnswer:
    """Handle one webhook request for ``platform_name``; raise a domain error to refuse it."""
    platform = get_platform()
    if platform.name != platform_name:
        raise NotFound("No such webhook.")
    if len(body) > MAX_BODY_BYTES:
        raise Invalid("The notification is too large.")
    check = platform.verify_webhook(headers, body)
    if check.outcome == WebhookOutcome.UNSUPPORTED:
        raise NotFound("This platform sends no webhooks.")
    if check.outcome == WebhookOutcome.REJECTED:
        log.warning("webhook rejected: %s", check.reason)
        raise Forbidden(check.reason or "The notification could not be verified.")
    if check.outcome == WebhookOutcome.VALIDATION:
        return WebhookAnswer(200, check.response_headers, "validation")
    event = loads_bounded(body)  # verify_webhook parsed it already: it is shallow JSON
    try:
        outcome = platform.handle_notification(event)
    except RecordError as exc:
        raise Invalid(f"The notification cannot be ingested: {exc}") from None
    return WebhookAnswer(200, check.response_headers, outcome)
