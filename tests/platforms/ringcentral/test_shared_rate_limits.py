"""A 429 seen by one process blocks that throttling group in every process.

RingCentral restarts the penalty when a blocked group is called again, so a second
worker must learn of the block before it calls: through the database by default,
through Redis when ``REDIS_URL`` is set.
"""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager

import pytest

from tests.platforms.ringcentral.conftest import serving, sign_in_over_http
from tests.platforms.ringcentral.helpers import signed_in
from widget import create_app
from widget.extensions import db
from widget.models import Extension
from widget.platforms.base import PlatformRateLimited
from widget.platforms.ringcentral.client import MINE, RingCentralClient
from widget.platforms.ringcentral.throttle import RedisBlocks
from widget.platforms.ringcentral.tokens import current_tokens

STORE_PUT = "PUT /restapi/v1.0/account/~/extension/~/message-store"
LIMITED = {"errorCode": "CMN-301", "message": "Request rate exceeded", "errors": []}


@contextmanager
def _second_process(served):
    """Another application instance on the same database (a worker, another web process)."""
    settings = {k: v for k, v in served.app.config.items() if k.isupper()}
    settings.pop("SANDBOX_OPEN", None)
    app = create_app(settings)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _signed_in_with_a_message(served) -> tuple[dict, int]:
    """Sign the user in over HTTP with one message in their mailbox; (record, extension id)."""
    record = served.fake.inbound_sms("+14155550123", "hello")
    signed_in(served)
    with served.app.app_context():
        return record, db.session.query(Extension.id).scalar()


def _mark_read(app, extension_id: int, message_id: int):
    with app.app_context():
        platform = app.extensions["sidetalk.platform"]
        return platform.call(
            extension_id, "PUT", f"{MINE}/message-store/{message_id}", json={"readStatus": "Read"}
        )


def test_a_429_in_one_process_blocks_the_group_in_another_through_the_database(rc_server):
    fake = rc_server.fake
    record, extension_id = _signed_in_with_a_message(rc_server)
    with _second_process(rc_server) as second:
        fake.fail_next(STORE_PUT, 429, body=LIMITED, headers={"Retry-After": "120"})
        with pytest.raises(PlatformRateLimited):
            _mark_read(rc_server.app, extension_id, record["id"])
        calls = fake.call_count("PUT", f"/message-store/{record['id']}")

        with pytest.raises(PlatformRateLimited) as waited:
            _mark_read(second, extension_id, record["id"])

        assert fake.call_count("PUT", f"/message-store/{record['id']}") == calls  # not called
        assert 100 < waited.value.retry_after <= 120
        assert "Medium" in waited.value.message
        # Only that group waits: a Light call from the second process still goes.
        with second.app_context():
            me = second.extensions["sidetalk.platform"].call(extension_id, "GET", MINE)
        assert me["extensionNumber"] == fake.extension_number


def test_a_429_in_one_process_blocks_the_group_in_another_through_redis(rc_server, redis_url):
    fake = rc_server.fake
    record, extension_id = _signed_in_with_a_message(rc_server)
    with rc_server.app.app_context():
        token = current_tokens(extension_id).access_token
    prefix = f"test-{uuid.uuid4().hex}:"
    # Two processes' clients: nothing shared between them but the Redis server.
    first, second = (
        RingCentralClient(
            fake.url, fake.client_id, fake.client_secret, blocks=RedisBlocks(redis_url, prefix)
        )
        for _ in range(2)
    )
    path = f"{MINE}/message-store/{record['id']}"
    fake.fail_next(STORE_PUT, 429, body=LIMITED, headers={"Retry-After": "90"})
    with pytest.raises(PlatformRateLimited):
        first.call("7", token, "PUT", path, json={"readStatus": "Read"})
    calls = fake.call_count("PUT", path)

    with pytest.raises(PlatformRateLimited) as waited:
        second.call("7", token, "PUT", path, json={"readStatus": "Read"})

    assert fake.call_count("PUT", path) == calls
    assert 60 < waited.value.retry_after <= 90
    # Another user of the same app is not blocked by this one's penalty.
    answer = second.call("8", token, "PUT", path, json={"readStatus": "Read"})
    assert answer.json()["readStatus"] == "Read"


def test_a_spent_budget_blocks_before_ringcentral_answers_429(rc_server):
    """X-Rate-Limit-Remaining 0: the next call of the group waits for the window."""
    fake = rc_server.fake
    record, extension_id = _signed_in_with_a_message(rc_server)
    fake.limits["Medium"] = fake._budgets[(fake.extension_id, "Medium")].used + 1
    with _second_process(rc_server) as second:
        _mark_read(rc_server.app, extension_id, record["id"])  # spends the last one
        calls = len(fake.calls)
        with pytest.raises(PlatformRateLimited):
            _mark_read(second, extension_id, record["id"])
        assert len(fake.calls) == calls


def test_a_429_on_the_token_endpoint_blocks_every_process_s_refresh(rc_server):
    """The Auth group (5 a minute) is kept like the others: a refresh refused with 429 in
    one process is not tried again by another before Retry-After."""
    fake = rc_server.fake
    _, extension_id = _signed_in_with_a_message(rc_server)
    fake.oauth.expire_access_tokens()
    fake.fail_next(
        "POST /restapi/oauth/token",
        429,
        body={"error": "rate_limited", "errorCode": "CMN-301", "message": "Rate exceeded"},
        headers={"Retry-After": "60"},
    )
    with _second_process(rc_server) as second:
        with pytest.raises(PlatformRateLimited), rc_server.app.app_context():
            rc_server.app.extensions["sidetalk.platform"].call(extension_id, "GET", MINE)
        token_calls = fake.call_count("POST", "/restapi/oauth/token")

        with pytest.raises(PlatformRateLimited) as waited, second.app_context():
            second.extensions["sidetalk.platform"].call(extension_id, "GET", MINE)

        assert fake.call_count("POST", "/restapi/oauth/token") == token_calls
        assert "Auth" in waited.value.message
    assert fake.oauth.refresh_count == 0  # the single-use refresh token is still good


TOKEN_POST = "POST /restapi/oauth/token"


def _callback(served, browser=None):
    """Run a sign-in as a browser would, up to the callback; return its answer."""
    browser = browser or served.session()
    start = browser.get(f"{served.url}/auth/oauth/start?next=/widget/", allow_redirects=False)
    authorize = browser.get(start.headers["Location"], allow_redirects=False)
    assert authorize.status_code == 302, authorize.text
    return browser.get(authorize.headers["Location"], allow_redirects=False)


def test_a_429_on_a_code_exchange_blocks_the_next_exchange_in_another_process(rc_server):
    """Sign-ins share the app's Auth budget: a 429 on one exchange keeps every process's
    next exchange from RingCentral (calling would restart the penalty) until it ends."""
    fake = rc_server.fake
    fake.fail_next(TOKEN_POST, 429, body=LIMITED, headers={"Retry-After": "2"})
    refused = _callback(rc_server)
    assert refused.status_code == 503
    assert "try again" in refused.text.lower()
    assert fake.call_count("POST", "/restapi/oauth/token") == 1

    with _second_process(rc_server) as second, serving(second, fake) as other:
        waited = _callback(other)
        assert waited.status_code == 503
        assert "Auth" in waited.text
        assert fake.call_count("POST", "/restapi/oauth/token") == 1  # not called

        time.sleep(2.2)  # the block ends with Retry-After
        browser, token = sign_in_over_http(other)
    assert token
    assert fake.call_count("POST", "/restapi/oauth/token") == 2


def test_a_429_on_revoke_blocks_the_user_s_auth_group_everywhere(rc_server):
    fake = rc_server.fake
    _, extension_id = _signed_in_with_a_message(rc_server)
    with rc_server.app.app_context():
        token = current_tokens(extension_id).refresh_token
    fake.fail_next("POST /restapi/oauth/revoke", 429, body=LIMITED, headers={"Retry-After": "60"})
    with rc_server.app.app_context():
        extension = db.session.get(Extension, extension_id)
        rc_server.app.extensions["sidetalk.platform"].sign_out(extension)
    # Signed out here; the worker's retry waits for the block instead of calling again.
    assert fake.call_count("POST", "/restapi/oauth/revoke") == 1
    assert not fake.oauth.revoked_tokens

    with _second_process(rc_server) as second, second.app_context():
        client = second.extensions["sidetalk.platform"].client
        with pytest.raises(PlatformRateLimited) as waited:
            client.revoke(token, str(extension_id))
        assert 50 < waited.value.retry_after <= 60
        # Another user's revoke is not held by this user's penalty.
        client.revoke("not-a-known-token", str(extension_id + 1000))
    assert fake.call_count("POST", "/restapi/oauth/revoke") == 2
