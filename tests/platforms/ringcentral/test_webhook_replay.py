"""Replayed notifications (a uuid seen before, or a timestamp outside the window) are
acknowledged with 200, so RingCentral stops retrying, and change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests

from fakes.ringcentral.mailbox import iso
from tests.platforms.ringcentral.helpers import message_rows, signed_in
from tests.platforms.ringcentral.test_webhooks import INSTANT, _instant_body, _subscription
from widget.extensions import db
from widget.models import WebhookReceipt
from widget.models.types import utcnow

STORE = "/restapi/v1.0/account/809646016/extension/62989330016/message-store"


def _post(served, subscription, payload: dict) -> requests.Response:
    return requests.post(
        f"{served.url}/webhooks/ringcentral",
        json=payload,
        headers={"Verification-Token": subscription.verification_token},
        timeout=10,
    )


def _notification(subscription, body: dict, **fields) -> dict:
    return {
        "uuid": "6242343638330007102",
        "event": INSTANT,
        "timestamp": iso(datetime.now(UTC)),
        "subscriptionId": subscription.id,
        "ownerId": "62989330016",
        "body": body,
        **fields,
    }


def test_a_replayed_uuid_is_acknowledged_and_changes_nothing(rc_server):
    fake = rc_server.fake
    signed_in(rc_server)
    subscription = _subscription(fake)
    first = _instant_body(fake, "original text", 9007199254740993001)
    assert _post(rc_server, subscription, _notification(subscription, first)).status_code == 200
    # The same notification again, its record rewritten and newer: still the same uuid.
    altered = {**first, "subject": "rewritten", "lastModifiedTime": "2026-12-03T11:00:00.000Z"}

    replayed = _post(rc_server, subscription, _notification(subscription, altered))

    assert replayed.status_code == 200
    assert replayed.json()["outcome"] == "ignored: already received (a replay)"
    (message,) = message_rows(rc_server.app)
    assert message.subject == "original text"


def test_a_replayed_message_store_event_does_not_sync_again(rc_server):
    fake = rc_server.fake
    signed_in(rc_server)
    subscription = _subscription(fake)
    body = {"extensionId": 62989330016, "changes": [{"type": "SMS", "newCount": 1}]}
    event = _notification(subscription, body, event=STORE, uuid="b11c9430-9687-4498")
    assert _post(rc_server, subscription, event).json()["outcome"] == "synced"
    syncs = fake.call_count("GET", "/message-sync")

    again = _post(rc_server, subscription, event)

    assert again.status_code == 200
    assert fake.call_count("GET", "/message-sync") == syncs


def test_stale_and_future_timestamps_are_acknowledged_and_ignored(rc_server):
    fake = rc_server.fake
    signed_in(rc_server)
    subscription = _subscription(fake)
    now = datetime.now(UTC)
    cases = {
        "sent too long ago": iso(now - timedelta(minutes=20)),
        # RingCentral's older samples write the zone as +0000.
        "stamped in the future": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
    }
    for n, (says, timestamp) in enumerate(cases.items()):
        body = _instant_body(fake, f"old {n}", 9007199254740993010 + n)
        event = _notification(subscription, body, uuid=f"stale-{n}", timestamp=timestamp)
        answer = _post(rc_server, subscription, event)
        assert answer.status_code == 200
        assert says in answer.json()["outcome"]
    assert message_rows(rc_server.app) == []


def test_a_fresh_legacy_timestamp_is_taken(rc_server):
    fake = rc_server.fake
    signed_in(rc_server)
    subscription = _subscription(fake)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    body = _instant_body(fake, "legacy zone", 9007199254740993020)
    answer = _post(rc_server, subscription, _notification(subscription, body, timestamp=stamp))
    assert answer.json()["outcome"] == "ingested"
    assert [m.subject for m in message_rows(rc_server.app)] == ["legacy zone"]


def test_a_notification_without_uuid_or_timestamp_is_a_clear_400(rc_server):
    fake = rc_server.fake
    signed_in(rc_server)
    subscription = _subscription(fake)
    body = _instant_body(fake, "unstamped", 9007199254740993030)
    for fields in ({"uuid": None}, {"uuid": "x" * 65}, {"timestamp": "yesterday"}):
        answer = _post(rc_server, subscription, _notification(subscription, body, **fields))
        assert answer.status_code == 400
        assert "notification" in answer.json()["error"]["message"]
    assert message_rows(rc_server.app) == []


def test_a_failed_notification_can_be_retried_with_its_uuid(rc_server):
    fake = rc_server.fake
    signed_in(rc_server)
    subscription = _subscription(fake)
    body = _instant_body(fake, "second try", 9007199254740993040)
    broken = {**body, "direction": "Sideways"}
    assert _post(rc_server, subscription, _notification(subscription, broken)).status_code == 400
    # RingCentral retries the same uuid (here with a record Sidetalk can read).
    retried = _post(rc_server, subscription, _notification(subscription, body))
    assert retried.json()["outcome"] == "ingested"


def test_old_uuids_are_forgotten_once_their_timestamp_would_refuse_them(rc_server):
    from widget.platforms.ringcentral.tasks import forget_old_webhook_receipts

    with rc_server.app.app_context():
        db.session.add_all(
            [
                WebhookReceipt(notification_uuid="old", received_at=utcnow() - timedelta(hours=1)),
                WebhookReceipt(notification_uuid="new", received_at=utcnow()),
            ]
        )
        db.session.commit()
        assert forget_old_webhook_receipts.call_local() == 1
        kept = db.session.query(WebhookReceipt.notification_uuid).all()
    assert [k for (k,) in kept] == ["new"]
