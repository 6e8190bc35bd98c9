"""``POST /webhooks/ringcentral``: validation, verification, bad input, subscription upkeep."""

from __future__ import annotations

from datetime import timedelta

import requests
from sqlalchemy import select

from tests.platforms.ringcentral.helpers import instant_body as _instant_body
from tests.platforms.ringcentral.helpers import message_rows, signed_in
from widget.extensions import db
from widget.models import Extension, PlatformLink
from widget.models.types import utcnow

INSTANT = "/restapi/v1.0/account/809646016/extension/62989330016/message-store/instant?type=SMS"


def _subscription(fake):
    (subscription,) = fake.subscriptions.active()
    return subscription


def test_the_validation_token_is_echoed(rc_server):
    answer = requests.post(
        f"{rc_server.url}/webhooks/ringcentral", headers={"Validation-Token": "abc-123"}
    )
    assert answer.status_code == 200
    assert answer.headers["Validation-Token"] == "abc-123"
    assert message_rows(rc_server.app) == []


def test_forged_and_wrongly_signed_notifications_are_refused_and_store_nothing(rc_server):
    fake = rc_server.fake
    signed_in(rc_server)
    subscription = _subscription(fake)
    body = _instant_body(fake, "forged", 9007199254740993001)
    for token in ("", "not-the-token"):
        status = fake.subscriptions.post(subscription, INSTANT, body, verification_token=token)
        assert status == 403
    # A token of a subscription Sidetalk does not have.
    stranger = requests.post(
        f"{rc_server.url}/webhooks/ringcentral",
        json={"subscriptionId": "nope", "event": INSTANT, "body": body},
        headers={"Verification-Token": subscription.verification_token},
    )
    assert stranger.status_code == 403
    assert message_rows(rc_server.app) == []


def test_a_replayed_notification_stores_one_message_with_its_exact_int64_id(rc_server):
    fake = rc_server.fake
    signed_in(rc_server)
    subscription = _subscription(fake)
    body = _instant_body(fake, "once", 9007199254740993001)
    for _ in range(2):
        assert fake.subscriptions.post(subscription, INSTANT, body, uuid_="same-uuid") == 200
    (message,) = message_rows(rc_server.app)
    assert message.platform_message_id == "9007199254740993001"  # 2^53 + 1 + ...: no float
    assert message.platform_conversation_id == "9007199254740993123"


def test_oversized_and_malformed_notifications_are_refused(rc_server):
    fake = rc_server.fake
    signed_in(rc_server)
    token = _subscription(fake).verification_token
    huge = requests.post(
        f"{rc_server.url}/webhooks/ringcentral",
        data=b"{" + b" " * (300 * 1024) + b"}",
        headers={"Verification-Token": token, "Content-Type": "application/json"},
    )
    assert huge.status_code in (400, 413)
    junk = requests.post(
        f"{rc_server.url}/webhooks/ringcentral",
        data=b"not json",
        headers={"Verification-Token": token, "Content-Type": "application/json"},
    )
    assert junk.status_code == 403
    assert message_rows(rc_server.app) == []


def test_unknown_event_types_are_acknowledged_and_ignored(rc_server):
    fake = rc_server.fake
    signed_in(rc_server)
    subscription = _subscription(fake)
    presence = "/restapi/v1.0/account/809646016/extension/62989330016/presence"
    status = fake.subscriptions.post(subscription, presence, {"telephonyStatus": "Ringing"})
    assert status == 200
    assert fake.subscriptions.deliveries[-1].status == 200
    assert message_rows(rc_server.app) == []


def test_a_bad_record_in_a_verified_notification_is_a_clear_400(rc_server):
    fake = rc_server.fake
    signed_in(rc_server)
    body = _instant_body(fake, "bad", 9007199254740993002)
    body["direction"] = "Sideways"
    assert fake.subscriptions.post(_subscription(fake), INSTANT, body) == 400
    assert message_rows(rc_server.app) == []


def _keep_subscribed(served):
    from widget.platforms.ringcentral.tasks import keep_subscribed

    with served.app.app_context():
        extension_id = db.session.scalars(select(Extension.id)).one()
        return keep_subscribed.call_local(extension_id)


def _link(served) -> PlatformLink:
    with served.app.app_context():
        link = db.session.scalars(select(PlatformLink)).one()
        db.session.expunge(link)
        return link


def test_a_subscription_is_renewed_before_it_expires(rc_server):
    fake = rc_server.fake
    signed_in(rc_server)
    first = _link(rc_server).subscription_id
    with rc_server.app.app_context():
        link = db.session.scalars(select(PlatformLink)).one()
        link.subscription_expires_at = utcnow() + timedelta(hours=2)
        db.session.commit()
    assert _keep_subscribed(rc_server) == first
    assert fake.call_count("POST", f"/subscription/{first}/renew") == 1
    assert _link(rc_server).subscription_expires_at > utcnow() + timedelta(days=6)


def test_a_gone_expired_or_blacklisted_subscription_is_created_again(rc_server):
    fake = rc_server.fake
    signed_in(rc_server)
    seen = {_link(rc_server).subscription_id}
    for break_it in (
        lambda sid: fake.subscriptions.items.pop(sid),
        lambda sid: fake.subscriptions.expire(sid),
        lambda sid: fake.subscriptions.blacklist(sid),
    ):
        old = _link(rc_server).subscription_id
        break_it(old)
        new = _keep_subscribed(rc_server)
        assert new is not None and new not in seen
        seen.add(new)
    # The blacklisted one (still listed by RingCentral, unlike the gone and the expired)
    # was deleted there, not left behind.
    assert old not in fake.subscriptions.items
    # The new subscription works: its notifications verify and ingest.
    fake.inbound_sms("+14155550123", "after re-creation")
    assert [m.subject for m in message_rows(rc_server.app)] == ["after re-creation"]


def test_a_subscription_whose_validation_is_not_echoed_is_refused(rc_server, monkeypatch):
    fake = rc_server.fake
    signed_in(rc_server)
    fake.subscriptions.items.clear()
    rc_server.app.config["PUBLIC_URL"] = "http://127.0.0.1:9"  # nothing listens there
    assert _keep_subscribed(rc_server) is None
    assert fake.subscriptions.validations[-1][1] == 0
    assert fake.subscriptions.active() == []
