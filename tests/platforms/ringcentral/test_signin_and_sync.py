"""End to end over HTTP: sign in with RingCentral, provisioning, sync, webhooks, sign-out."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from tests.platforms.ringcentral.conftest import sign_in_over_http
from widget.extensions import db
from widget.models import Contact, Extension, Message, PhoneNumber, PlatformLink

BIG_ID_FLOOR = 2**53


def _messages(app) -> list[Message]:
    with app.app_context():
        rows = db.session.scalars(select(Message).order_by(Message.created_at)).all()
        db.session.expunge_all()
        return list(rows)


def test_sign_in_provisions_the_user_syncs_and_subscribes(rc_server):
    fake = rc_server.fake
    first = fake.inbound_sms("+14155550123", "Can I move my cleaning?")
    browser, token = sign_in_over_http(rc_server)

    with rc_server.app.app_context():
        extension = db.session.scalars(select(Extension)).one()
        assert (extension.extension_number, extension.name) == ("101", "Dan Vogel")
        assert extension.timezone == "America/Los_Angeles" and extension.is_admin
        numbers = db.session.scalars(select(PhoneNumber.e164, PhoneNumber.sms_enabled)).all()
        assert ("+16505550101", True) in [
            tuple(n) for n in db.session.execute(select(PhoneNumber.e164, PhoneNumber.sms_enabled))
        ]
        assert numbers
        names = {c.name for c in db.session.scalars(select(Contact))}
        assert {"Priya Nair", "Maria Lopez"} <= names
        link = db.session.scalars(select(PlatformLink)).one()
        # Tokens are sealed at rest: the raw access token appears nowhere in the row.
        grant = next(iter(fake.oauth.by_access))
        assert grant not in (link.sealed_tokens or "")
        assert link.subscription_id in fake.subscriptions.items
        assert link.sync_token

    (stored,) = _messages(rc_server.app)
    assert stored.platform_message_id == str(first["id"])  # exact: beyond 2^53
    assert int(stored.platform_message_id) > BIG_ID_FLOOR

    widget = browser.get(f"{rc_server.url}/widget/", headers={"X-Sidetalk-Token": token})
    assert widget.status_code == 200
    assert "Can I move my cleaning?" in widget.text
    assert grant not in widget.text and grant not in widget.url

    # A new text arrives as an instant-SMS webhook (and a message-store event).
    fake.inbound_sms("+14155550123", "Thursday at 3 works")
    texts = [m.subject for m in _messages(rc_server.app)]
    assert texts == ["Can I move my cleaning?", "Thursday at 3 works"]
    statuses = [d.status for d in fake.subscriptions.deliveries]
    assert statuses and set(statuses) == {200}


def test_a_callback_in_another_browser_is_refused(rc_server):
    alice = rc_server.session()
    start = alice.get(f"{rc_server.url}/auth/oauth/start?next=/widget/", allow_redirects=False)
    callback = alice.get(start.headers["Location"], allow_redirects=False).headers["Location"]
    mallory = rc_server.session()  # the same callback URL, in a browser that did not start it
    refused = mallory.get(callback, allow_redirects=False)
    assert refused.status_code == 403
    assert "token=" not in refused.headers.get("Location", "")
    with rc_server.app.app_context():
        assert db.session.scalars(select(Extension)).first() is None


def test_a_state_mismatch_is_refused(rc_server):
    browser = rc_server.session()
    start = browser.get(f"{rc_server.url}/auth/oauth/start", allow_redirects=False)
    callback = browser.get(start.headers["Location"], allow_redirects=False).headers["Location"]
    query = parse_qs(urlparse(callback).query)
    forged = f"{rc_server.url}/auth/ringcentral/callback?code={query['code'][0]}&state=forged"
    assert browser.get(forged, allow_redirects=False).status_code == 403


def test_a_wrong_code_verifier_is_refused_by_ringcentral_and_signs_nobody_in(rc_server):
    fake = rc_server.fake
    browser = rc_server.session()
    start = browser.get(f"{rc_server.url}/auth/oauth/start", allow_redirects=False)
    callback = browser.get(start.headers["Location"], allow_redirects=False).headers["Location"]
    for code in fake.oauth.codes.values():
        code.challenge = "a-challenge-our-verifier-does-not-match"
    refused = browser.get(callback, allow_redirects=False)
    assert refused.status_code in {400, 403, 422}
    assert "code_verifier" in refused.text or "verifier" in refused.text
    with rc_server.app.app_context():
        assert db.session.scalars(select(Extension)).first() is None


def test_ringcentral_error_on_the_callback_is_shown(rc_server):
    browser = rc_server.session()
    browser.get(f"{rc_server.url}/auth/oauth/start", allow_redirects=False)
    denied = browser.get(
        f"{rc_server.url}/auth/ringcentral/callback?error=access_denied&state=x",
        allow_redirects=False,
    )
    assert denied.status_code == 400
    assert "access_denied" in denied.text


def test_the_chooser_does_not_exist_on_ringcentral(rc_server):
    browser = rc_server.session()
    assert browser.post(f"{rc_server.url}/auth/signin", data={"extension_id": "1"}).status_code in {
        403,
        404,
    }
    assert browser.get(f"{rc_server.url}/sandbox/extensions").status_code == 404
    page = browser.get(f"{rc_server.url}/auth/signin?next=/widget/")
    assert page.status_code == 200 and "Sign in with RingCentral" in page.text


def _sign_out(served):
    browser, token = sign_in_over_http(served)
    widget = browser.get(f"{served.url}/widget/", headers={"X-Sidetalk-Token": token})
    headers = json.loads(
        widget.text.split("hx-headers='", 1)[1].split("'", 1)[0].replace("&#34;", '"')
    )
    return browser.post(f"{served.url}/auth/signout", headers=headers, allow_redirects=False)


def test_sign_out_revokes_at_ringcentral(rc_server):
    fake = rc_server.fake
    out = _sign_out(rc_server)
    assert out.status_code == 303
    assert fake.oauth.revoked_tokens
    assert not fake.oauth.by_access  # every token of the grant is dead at RingCentral
    with rc_server.app.app_context():
        link = db.session.scalars(select(PlatformLink)).one()
        assert link.sealed_tokens is None and link.subscription_id is None


def test_fsync_follows_older_pages_until_none_are_left(rc_server, monkeypatch):
    from widget.platforms.ringcentral import sync

    monkeypatch.setattr(sync, "PAGE_SIZE", 5)
    from datetime import UTC, datetime, timedelta

    fake = rc_server.fake
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    for n in range(12):
        # 6, 7 and 8 share one millisecond: the first page (11..7) ends inside them.
        when = start + timedelta(minutes=6) if 6 <= n <= 8 else start + timedelta(minutes=n)
        fake.inbound_sms(f"+1415555{n:04d}", f"history {n}", notify=False, when=when)
    sign_in_over_http(rc_server)
    texts = sorted(m.subject for m in _messages(rc_server.app))
    assert texts == sorted(f"history {n}" for n in range(12))
    assert fake.call_count("GET", "/message-sync") >= 3  # newest first, then older pages
    with rc_server.app.app_context():
        assert db.session.scalars(select(PlatformLink.older_before)).one() is None


@pytest.mark.parametrize("outages", [1, 2])
def test_a_revoke_ringcentral_does_not_answer_is_retried_by_the_worker(rc_server, outages):
    fake = rc_server.fake
    fake.fail_next("POST /restapi/oauth/revoke", 503, times=outages)

    out = _sign_out(rc_server)

    assert out.status_code == 303  # signed out here at once, whatever RingCentral says
    with rc_server.app.app_context():
        link = db.session.scalars(select(PlatformLink)).one()
        assert link.sealed_tokens is None
    if outages == 1:  # the worker's first try went through
        assert fake.oauth.revoked_tokens and not fake.oauth.by_access
    else:  # still down: the task waits for its next retry, the token travels sealed
        assert not fake.oauth.revoked_tokens
        assert fake.call_count("POST", "/restapi/oauth/revoke") == 2
