"""The fake's webhook subscriptions: validation on create, renewal, notifications over HTTP."""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import requests
from werkzeug.wrappers import Request, Response

from .account import FakeAccount
from .http import api_error, json_response
from .mailbox import iso

DEFAULT_EXPIRES_IN = 604799
INSTANT_SMS = "/message-store/instant?type=SMS"


@dataclass
class Subscription:
    id: str
    event_filters: list[str]
    address: str
    verification_token: str | None
    expires_at: datetime
    status: str = "Active"  # Active, Suspended, Blacklisted
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_json(self, base: str) -> dict:
        remaining = int((self.expires_at - datetime.now(UTC)).total_seconds())
        return {
            "uri": f"{base}/restapi/v1.0/subscription/{self.id}",
            "id": self.id,
            "creationTime": iso(self.created_at),
            "status": self.status if remaining > 0 else "Expired",
            "eventFilters": self.event_filters,
            "expirationTime": iso(self.expires_at),
            "expiresIn": max(0, remaining),
            "deliveryMode": {
                "transportType": "WebHook",
                "encryption": False,
                "address": self.address,
            },
        }


@dataclass
class Delivery:
    """One notification the fake posted, and how the receiver answered."""

    subscription_id: str
    event: str
    body: dict
    status: int


class Subscriptions:
    def __init__(self, fake: FakeAccount) -> None:
        self.fake = fake
        self.items: dict[str, Subscription] = {}
        self.deliveries: list[Delivery] = []
        self.validations: list[tuple[str, int]] = []  # (address, status answered)
        self.timeout = 5.0
        self._deliver_lock = threading.Lock()

    def _expand(self, event_filter: str) -> str:
        fake = self.fake
        return event_filter.replace("/account/~", f"/account/{fake.account_id}").replace(
            "/extension/~", f"/extension/{fake.extension_id}"
        )

    def subscription_create(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return api_error(400, "CMN-101", "Request body is not valid JSON")
        filters, mode = body.get("eventFilters"), body.get("deliveryMode")
        if not isinstance(filters, list) or not filters:
            return api_error(400, "SUB-521", "Event filters are required", "eventFilters")
        if (
            not isinstance(mode, dict)
            or mode.get("transportType") != "WebHook"
            or not mode.get("address")
        ):
            return api_error(400, "SUB-522", "deliveryMode.address is required", "deliveryMode")
        address = mode["address"]
        # RingCentral first posts a Validation-Token and needs it echoed in a 200.
        token = str(uuid.uuid4())
        try:
            answer = requests.post(
                address, headers={"Validation-Token": token}, timeout=self.timeout
            )
            status, echoed = answer.status_code, answer.headers.get("Validation-Token")
        except requests.RequestException:
            status, echoed = 0, None
        self.validations.append((address, status))
        if status != 200 or echoed != token:
            return api_error(
                400, "SUB-523", "WebHook validation failed: the Validation-Token was not echoed"
            )
        expires_in = body.get("expiresIn", DEFAULT_EXPIRES_IN)
        subscription = Subscription(
            id=str(uuid.uuid4()),
            event_filters=[self._expand(f) for f in filters],
            address=address,
            verification_token=mode.get("verificationToken"),
            expires_at=datetime.now(UTC) + timedelta(seconds=int(expires_in)),
        )
        with self.fake.lock:
            self.items[subscription.id] = subscription
        return json_response(subscription.as_json(self.fake.url))

    def _find(self, sid: str) -> Subscription | Response:
        found = self.items.get(sid)
        if found is None or found.expires_at <= datetime.now(UTC):
            return api_error(404, "SUB-404", "Subscription not found", "subscriptionId")
        return found

    def subscription(self, request: Request, sid: str) -> Response:
        found = self._find(sid)
        if isinstance(found, Response):
            return found
        if request.method == "DELETE":
            with self.fake.lock:
                self.items.pop(sid, None)
            return Response(status=204)
        if request.method == "PUT":
            body = request.get_json(silent=True) or {}
            if isinstance(body.get("eventFilters"), list):
                found.event_filters = [self._expand(f) for f in body["eventFilters"]]
            found.expires_at = datetime.now(UTC) + timedelta(seconds=DEFAULT_EXPIRES_IN)
        return json_response(found.as_json(self.fake.url))

    def subscription_renew(self, request: Request, sid: str) -> Response:
        found = self._find(sid)
        if isinstance(found, Response):
            return found
        if found.status == "Blacklisted":
            return api_error(400, "SUB-525", "Subscription is blacklisted: create a new one")
        found.expires_at = datetime.now(UTC) + timedelta(seconds=DEFAULT_EXPIRES_IN)
        return json_response(found.as_json(self.fake.url))

    # -- test controls --------------------------------------------------------------------------

    def active(self) -> list[Subscription]:
        now = datetime.now(UTC)
        return [s for s in self.items.values() if s.status == "Active" and s.expires_at > now]

    def expire(self, sid: str | None = None, in_seconds: float = 0) -> None:
        for sub in self.items.values():
            if sid in (None, sub.id):
                sub.expires_at = datetime.now(UTC) + timedelta(seconds=in_seconds)

    def blacklist(self, sid: str | None = None) -> None:
        for sub in self.items.values():
            if sid in (None, sub.id):
                sub.status = "Blacklisted"

    # -- notifications -------------------------------------------------------------------------

    def post(
        self,
        subscription: Subscription,
        event: str,
        body: dict,
        *,
        verification_token: str | None = None,
        uuid_: str | None = None,
        timestamp: str | None = None,
    ) -> int:
        """Post one notification to ``subscription``'s address; return the HTTP status."""
        payload = {
            "uuid": uuid_ or str(secrets.randbits(62)),
            "event": event,
            "timestamp": timestamp or iso(datetime.now(UTC)),
            "subscriptionId": subscription.id,
            "ownerId": self.fake.extension_id,
            "body": body,
        }
        headers = {"Content-Type": "application/json"}
        token = (
            verification_token
            if verification_token is not None
            else subscription.verification_token
        )
        if token:
            headers["Verification-Token"] = token
        try:
            answer = requests.post(
                subscription.address, json=payload, headers=headers, timeout=self.timeout
            )
            status = answer.status_code
        except requests.RequestException:
            status = 0
        with self.fake.lock:
            self.deliveries.append(Delivery(subscription.id, event, payload, status))
        return status

    def _matching(self, suffix: str) -> list[Subscription]:
        fake = self.fake
        owner = f"/restapi/v1.0/account/{fake.account_id}/extension/{fake.extension_id}"
        return [s for s in self.active() if f"{owner}{suffix}" in s.event_filters]

    def notify_instant(self, record: dict) -> None:
        fake = self.fake
        event = (
            f"/restapi/v1.0/account/{fake.account_id}/extension/{fake.extension_id}{INSTANT_SMS}"
        )
        body = {
            **record,
            "eventType": "Create",
            "owner": {"extensionId": fake.extension_id, "extensionType": "User"},
        }
        with self._deliver_lock:
            for sub in self._matching(INSTANT_SMS):
                self.post(sub, event, body)

    def notify_store(self, record: dict, *, new: bool) -> None:
        fake = self.fake
        event = (
            f"/restapi/v1.0/account/{fake.account_id}/extension/{fake.extension_id}/message-store"
        )
        change = {
            "type": record.get("type", "SMS"),
            "newCount": int(new),
            "updatedCount": int(not new),
        }
        if new:
            change["newMessageIds"] = [record["id"]]
        body = {
            "accountId": int(fake.account_id),
            "extensionId": int(fake.extension_id),
            "lastUpdated": iso(datetime.now(UTC)),
            "changes": [change],
        }
        with self._deliver_lock:
            for sub in self._matching("/message-store"):
                self.post(sub, event, body)
