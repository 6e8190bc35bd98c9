"""Webhook subscriptions and notification checks.

A subscription is made with the user's token (its event filters name their extension):
``POST /restapi/v1.0/subscription`` with a WebHook ``deliveryMode`` and a random
``verificationToken``. Sidetalk keeps only a SHA-256 of that token: enough to check
each notification's ``Verification-Token`` header, useless to forge one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from manifest.json_text import loads_bounded
from widget.extensions import db
from widget.models import PlatformLink
from widget.models.types import utcnow
from widget.platforms.base import WebhookCheck, WebhookOutcome
from widget.platforms.records import parse_time
from widget.platforms.ringcentral.client import API, MINE, ApiRefused

log = logging.getLogger(__name__)

EVENT_FILTERS = (f"{MINE}/message-store", f"{MINE}/message-store/instant?type=SMS")
# A week, as RingCentral's own example asks (WebHook allows up to ten years): renewed a
# day before, and a subscription Sidetalk forgot about ends by itself.
EXPIRES_IN = 604799
RENEW_BEFORE = timedelta(days=1)
MAX_BODY = 256 * 1024

Call = Callable[..., dict | None]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _link(session: Session, extension_id: int) -> PlatformLink | None:
    return session.scalar(select(PlatformLink).where(PlatformLink.extension_id == extension_id))


def keep_subscribed(call: Call, extension_id: int, address: str, now: datetime) -> str | None:
    """Renew or create the user's subscription; return its id (None when RingCentral refused)."""
    with Session(db.engine) as session:
        link = _link(session, extension_id)
        current = link.subscription_id if link else None
        expires_at = link.subscription_expires_at if link else None
    if current is not None:
        try:
            state = call("GET", f"{API}/subscription/{current}") or {}
        except ApiRefused:
            state = {}  # gone (404): create a new one
        status = state.get("status")
        if status == "Active" and expires_at and expires_at - now > RENEW_BEFORE:
            return current
        if status == "Active":
            try:
                renewed = call("POST", f"{API}/subscription/{current}/renew") or {}
            except ApiRefused:
                renewed = {}
            if renewed.get("status") == "Active":
                _store(extension_id, current, renewed, None)
                return current
        log.info("subscription %s is %s: creating a new one", current, status or "gone")
        if status is not None:
            _delete_quietly(call, current)  # a Blacklisted one would linger there
    return _create(call, extension_id, address)


def _delete_quietly(call: Call, subscription_id: str) -> None:
    try:
        call("DELETE", f"{API}/subscription/{subscription_id}")
    except ApiRefused as exc:
        log.info("old subscription %s not deleted: %s", subscription_id, exc.message)


def _create(call: Call, extension_id: int, address: str) -> str | None:
    token = secrets.token_urlsafe(32)
    body = {
        "eventFilters": list(EVENT_FILTERS),
        "deliveryMode": {
            "transportType": "WebHook",
            "address": address,
            "verificationToken": token,
        },
        "expiresIn": EXPIRES_IN,
    }
    try:
        created = call("POST", f"{API}/subscription", json=body) or {}
    except ApiRefused as exc:
        # Most often the public URL is not reachable from RingCentral: polling carries on.
        log.warning("RingCentral refused the webhook subscription at %s: %s", address, exc.message)
        return None
    _store(extension_id, str(created["id"]), created, digest(token))
    return str(created["id"])


def _store(extension_id: int, subscription_id: str, answer: Mapping, token_digest: str | None):
    values: dict = {"subscription_id": subscription_id}
    try:
        values["subscription_expires_at"] = parse_time(
            answer.get("expirationTime"), "expirationTime"
        )
    except ValueError:
        values["subscription_expires_at"] = utcnow() + timedelta(seconds=EXPIRES_IN)
    if token_digest is not None:
        values["verification_digest"] = token_digest
    with Session(db.engine) as session:
        session.execute(
            update(PlatformLink).where(PlatformLink.extension_id == extension_id).values(**values)
        )
        session.commit()


def check_notification(headers: Mapping[str, str], body: bytes) -> WebhookCheck:
    """Validation handshake, or a notification whose Verification-Token matches its subscription."""
    validation = headers.get("Validation-Token")
    if validation is not None and not body.strip():
        if len(validation) > 256 or not validation.isprintable():
            return WebhookCheck(WebhookOutcome.REJECTED, reason="Malformed Validation-Token.")
        return WebhookCheck(WebhookOutcome.VALIDATION, {"Validation-Token": validation})
    if len(body) > MAX_BODY:
        return WebhookCheck(WebhookOutcome.REJECTED, reason="The notification is too large.")
    token = headers.get("Verification-Token") or ""
    try:
        event = loads_bounded(body)
    except ValueError:  # JsonTooDeep included: nothing RingCentral sends nests deeply
        return WebhookCheck(WebhookOutcome.REJECTED, reason="The notification is not JSON.")
    subscription_id = event.get("subscriptionId") if isinstance(event, dict) else None
    if not token or not isinstance(subscription_id, str):
        return WebhookCheck(WebhookOutcome.REJECTED, reason="Missing Verification-Token.")
    with Session(db.engine) as session:
        expected = session.scalar(
            select(PlatformLink.verification_digest).where(
                PlatformLink.subscription_id == subscription_id
            )
        )
    if expected is None or not hmac.compare_digest(expected, digest(token)):
        return WebhookCheck(WebhookOutcome.REJECTED, reason="Wrong Verification-Token.")
    return WebhookCheck(WebhookOutcome.NOTIFICATION)


def owner_of(subscription_id: str) -> int | None:
    """Return the local extension id whose subscription this is."""
    with Session(db.engine) as session:
        return session.scalar(
            select(PlatformLink.extension_id).where(PlatformLink.subscription_id == subscription_id)
        )


def forget_subscription(extension_id: int) -> str | None:
    with Session(db.engine) as session:
        link = _link(session, extension_id)
        current = link.subscription_id if link else None
        if link is not None:
            link.subscription_id = None
            link.verification_digest = None
            link.subscription_expires_at = None
            session.commit()
    return current
