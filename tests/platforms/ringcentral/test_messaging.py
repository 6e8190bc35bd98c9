"""Replies, read status both ways, delete/restore, refresh, revoke, 429 and 5xx, over HTTP."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from tests.platforms.ringcentral.helpers import message_rows, only_conversation_id, signed_in
from widget.extensions import db
from widget.models import Availability, MessageStatus, ReadStatus
from widget.platforms.ringcentral.platform import RingCentralPlatform
from widget.platforms.ringcentral.tokens import current_tokens, fresh_tokens


def _reply(served, browser, headers, conversation_id: int, text: str):
    form = browser.get(f"{served.url}/widget/conversations/{conversation_id}", headers=headers)
    key = BeautifulSoup(form.text, "html.parser").find("input", {"name": "idempotency_key"})
    data = {"idempotency_key": key["value"], "text": text}
    return browser.post(
        f"{served.url}/widget/compose/conversations/{conversation_id}/reply",
        headers=headers,
        data=data,
    )


def test_a_reply_reaches_ringcentral_and_its_status_follows(rc_server):
    fake = rc_server.fake
    fake.inbound_sms("+14155550123", "Are you open Saturday?")
    browser, headers = signed_in(rc_server)
    conversation_id = only_conversation_id(rc_server.app)
    answer = _reply(rc_server, browser, headers, conversation_id, "Yes, 9 to 1")
    assert answer.status_code == 200, answer.text
    (sent,) = fake.api.sent
    assert sent["to"] == [{"phoneNumber": "+14155550123"}]
    assert sent["subject"] == "Yes, 9 to 1"
    outbound = [m for m in message_rows(rc_server.app) if m.subject == "Yes, 9 to 1"]
    assert outbound[0].platform_message_id == str(sent["id"])
    # Status polling (inline in tests) walked the fake's carrier to Delivered.
    assert outbound[0].message_status == MessageStatus.DELIVERED


def test_read_and_unread_travel_both_ways(rc_server):
    fake = rc_server.fake
    record = fake.inbound_sms("+14155550123", "Running late")
    browser, headers = signed_in(rc_server)
    conversation_id = only_conversation_id(rc_server.app)
    read = browser.post(
        f"{rc_server.url}/widget/conversations/{conversation_id}/read", headers=headers
    )
    assert read.status_code == 200
    assert fake.mailbox.get(record["id"]).record["readStatus"] == "Read"
    unread = browser.post(
        f"{rc_server.url}/widget/conversations/{conversation_id}/unread", headers=headers
    )
    assert unread.status_code in (200, 204)
    assert fake.mailbox.get(record["id"]).record["readStatus"] == "Unread"
    # Read on another device: the message-store event brings it here.
    fake.change_message(record["id"], readStatus="Read")
    (message,) = message_rows(rc_server.app)
    assert message.read_status == ReadStatus.READ


def test_delete_and_restore_travel_both_ways(rc_server):
    fake = rc_server.fake
    record = fake.inbound_sms("+14155550123", "Please call me")
    browser, headers = signed_in(rc_server)
    conversation_id = only_conversation_id(rc_server.app)
    deleted = browser.post(
        f"{rc_server.url}/widget/conversations/{conversation_id}/delete", headers=headers
    )
    assert deleted.status_code in (200, 204)
    assert fake.mailbox.get(record["id"]).record["availability"] == "Deleted"
    restored = browser.post(
        f"{rc_server.url}/widget/conversations/{conversation_id}/restore", headers=headers
    )
    assert restored.status_code in (200, 204)
    assert fake.mailbox.get(record["id"]).record["availability"] == "Alive"
    # Purged elsewhere: the sync reports only the id and availability.
    with fake.lock:
        fake.mailbox.purge(record["id"])
    fake.subscriptions.notify_store({"id": record["id"], "type": "SMS"}, new=False)
    (message,) = message_rows(rc_server.app)
    assert message.availability == Availability.PURGED


def test_an_expired_access_token_is_refreshed_once_and_the_old_refresh_token_dies(rc_server):
    fake = rc_server.fake
    signed_in(rc_server)
    fake.oauth.expire_access_tokens()
    fake.inbound_sms("+14155550123", "hello again", notify=False)
    with rc_server.app.app_context():
        platform = RingCentralPlatform(None)
        from widget.models import Extension

        extension = db.session.query(Extension).one()
        before = current_tokens(extension.id)
        platform.sink = rc_server.app.extensions["sidetalk.platform"].sink
        platform.synchronize(extension)
        after = current_tokens(extension.id)
    assert fake.oauth.refresh_count == 1
    assert after.refresh_token != before.refresh_token
    assert before.refresh_token in fake.oauth.used_refresh_tokens
    assert [m.subject for m in message_rows(rc_server.app)] == ["hello again"]


def test_two_processes_refreshing_at_once_spend_the_refresh_token_once(rc_server):
    """Two app instances (separate processes in production) share one database."""
    import threading

    fake = rc_server.fake
    signed_in(rc_server)
    fake.oauth.expire_access_tokens()
    results, errors = [], []
    from widget import create_app

    second = create_app(
        {k: v for k, v in rc_server.app.config.items() if k.isupper() and k != "SANDBOX_OPEN"}
    )
    with rc_server.app.app_context():
        from widget.models import Extension

        extension_id = db.session.query(Extension.id).scalar()
        refused = current_tokens(extension_id)  # both processes just got a 401 with it

    def refresh(app):
        with app.app_context():
            try:
                platform = app.extensions["sidetalk.platform"]
                tokens = fresh_tokens(platform.client, extension_id, stale=refused)
                results.append(tokens.access_token)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=refresh, args=(app,)) for app in (rc_server.app, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert fake.oauth.refresh_count == 1
    assert len(set(results)) == 1  # both use the one new pair
    with second.app_context():
        db.engine.dispose()


def test_a_token_revoked_mid_session_asks_to_reconnect_and_loses_nothing(rc_server):
    fake = rc_server.fake
    fake.inbound_sms("+14155550123", "kept")
    browser, headers = signed_in(rc_server)
    fake.oauth.revoke_all()
    fake.inbound_sms("+14155550123", "not reachable until reconnect", notify=False)
    from widget.platforms.ringcentral.tasks import sync_everyone

    with rc_server.app.app_context():
        sync_everyone.call_local()
    assert [m.subject for m in message_rows(rc_server.app)] == ["kept"]
    page = browser.get(
        f"{rc_server.url}/widget/", headers={"X-Sidetalk-Token": headers["X-Sidetalk-Token"]}
    )
    assert "Reconnect RingCentral" in page.text
    assert "kept" in page.text


def test_ringcentral_5xx_during_send_is_retried_then_sending_failed_with_the_reason(rc_server):
    fake = rc_server.fake
    fake.inbound_sms("+14155550123", "ping")
    browser, headers = signed_in(rc_server)
    conversation_id = only_conversation_id(rc_server.app)
    fake.fail_next("POST /restapi/v1.0/account/~/extension/~/sms", 503, times=1)
    ok = _reply(rc_server, browser, headers, conversation_id, "after one 503")
    assert ok.status_code == 200 and [m["subject"] for m in fake.api.sent] == ["after one 503"]
    (sent,) = [m for m in message_rows(rc_server.app) if m.subject == "after one 503"]
    assert sent.platform_message_id == str(fake.api.sent[0]["id"])  # the held one, adopted
    assert sent.status_note is None

    fake.fail_next("POST /restapi/v1.0/account/~/extension/~/sms", 503, times=5)
    failed = _reply(rc_server, browser, headers, conversation_id, "never goes")
    assert failed.status_code == 200
    (message,) = [m for m in message_rows(rc_server.app) if m.subject == "never goes"]
    assert message.message_status == MessageStatus.SENDING_FAILED
    assert message.status_note == "Not sent: RingCentral answered 503."
    assert len(fake.api.sent) == 1
    thread = browser.get(f"{rc_server.url}/widget/conversations/{conversation_id}", headers=headers)
    assert "Not sent: RingCentral answered 503." in thread.text


def test_a_rate_limited_message_stays_queued_says_so_and_goes_after_retry_after(rc_server):
    from datetime import timedelta

    from widget.compose.waiting import sweep_pending_sends
    from widget.models import PendingSend, PlatformRateBlock
    from widget.models.types import utcnow

    fake = rc_server.fake
    fake.inbound_sms("+14155550123", "ping")
    browser, headers = signed_in(rc_server)
    conversation_id = only_conversation_id(rc_server.app)
    fake.fail_next(
        "POST /restapi/v1.0/account/~/extension/~/sms",
        429,
        body={"errorCode": "CMN-301", "message": "Request rate exceeded", "errors": []},
        headers={"Retry-After": "120", "X-Rate-Limit-Group": "Medium"},
    )
    first = _reply(rc_server, browser, headers, conversation_id, "first while limited")
    assert first.status_code == 200
    calls = fake.call_count("POST", "/sms")
    second = _reply(rc_server, browser, headers, conversation_id, "second while limited")
    assert second.status_code == 200
    # The penalty is not restarted: the second message waited without calling RingCentral.
    assert fake.call_count("POST", "/sms") == calls
    waiting = [m for m in message_rows(rc_server.app) if m.subject.endswith("while limited")]
    assert [m.message_status for m in waiting] == [MessageStatus.QUEUED] * 2
    assert all("sending limit" in (m.status_note or "") for m in waiting)
    thread = browser.get(f"{rc_server.url}/widget/conversations/{conversation_id}", headers=headers)
    assert "Waiting for RingCentral" in thread.text

    # Retry-After has passed: both go, in order, and nothing was dropped.
    with rc_server.app.app_context():
        db.session.query(PlatformRateBlock).delete()  # the block every process reads
        for row in db.session.query(PendingSend):
            row.not_before = utcnow() - timedelta(seconds=1)
        db.session.commit()
        sweep_pending_sends.call_local()
    assert [m["subject"] for m in fake.api.sent] == ["first while limited", "second while limited"]
    done = [m for m in message_rows(rc_server.app) if m.subject.endswith("while limited")]
    assert [m.message_status for m in done] == [MessageStatus.DELIVERED] * 2
    assert [m.status_note for m in done] == [None, None]


@pytest.mark.parametrize("code", ["CMN-101", "MSG-333", "MSG-411"])
def test_a_refused_sync_token_falls_back_to_full_sync(rc_server, code):
    fake = rc_server.fake
    fake.inbound_sms("+14155550123", "one")
    signed_in(rc_server)
    fake.inbound_sms("+14155550123", "two", notify=False)
    fake.fail_next(
        "GET /restapi/v1.0/account/~/extension/~/message-sync",
        400,
        body={"errorCode": code, "message": "sync token is no longer valid", "errors": []},
    )
    fake.subscriptions.notify_store({"id": 1, "type": "SMS"}, new=False)
    assert [m.subject for m in message_rows(rc_server.app)] == ["one", "two"]
    assert fake.call_count("GET", "/message-sync") == 3  # FSync, refused ISync, FSync


def test_mms_pictures_come_through_sidetalks_own_signed_link(rc_server):
    from bs4 import BeautifulSoup

    fake = rc_server.fake
    picture = b"\x89PNG\r\n\x1a\n" + b"pixels" * 50
    fake.inbound_sms(
        "+14155550123", "Here is the photo", files=[("tooth.png", "image/png", picture)]
    )
    browser, headers = signed_in(rc_server)
    conversation_id = only_conversation_id(rc_server.app)
    thread = browser.get(f"{rc_server.url}/widget/conversations/{conversation_id}", headers=headers)
    image = BeautifulSoup(thread.text, "html.parser").select_one("img[src*='/widget/media/']")
    assert image is not None, thread.text
    src = image["src"]
    assert src.startswith("/widget/media/") and "sig=" in src
    for grant in fake.oauth.by_access:
        assert grant not in thread.text and grant not in src
    served = browser.get(f"{rc_server.url}{src}")  # the link alone, as an <img> loads it
    assert served.status_code == 200 and served.content == picture


def test_a_record_pointing_its_attachment_elsewhere_never_gets_the_token(rc_server):
    from widget.models import Attachment

    fake = rc_server.fake
    fake.inbound_sms("+14155550123", "pic", files=[("a.png", "image/png", b"\x89PNG....")])
    signed_in(rc_server)
    with rc_server.app.app_context():
        attachment = db.session.query(Attachment).one()
        attachment.platform_uri = "https://media.ringcentral.com.evil.example/steal"
        attachment.storage_path = None
        db.session.commit()
        platform = rc_server.app.extensions["sidetalk.platform"]
        from widget.errors import NotFound
        from widget.models import Extension

        owner = db.session.get(Extension, attachment.message.extension_id)
        calls = len(fake.calls)
        with pytest.raises(NotFound):
            platform.fetch_attachment(owner, attachment)
        assert len(fake.calls) == calls  # nothing was requested anywhere


def test_pager_mms_and_fax_reach_the_right_endpoints(rc_server):
    from widget.models import Extension, MessageType
    from widget.platforms.base import Outbound, OutboundPart

    fake = rc_server.fake
    signed_in(rc_server)
    with rc_server.app.app_context():
        extension = db.session.query(Extension).one()
        platform = rc_server.app.extensions["sidetalk.platform"]
        pager = platform.send_message(
            extension, Outbound(MessageType.PAGER, "101", ("102",), text="Lunch?")
        )
        png = OutboundPart("image/png", b"\x89PNG" + b"x" * 100, "p.png")
        mms = platform.send_message(
            extension,
            Outbound(MessageType.SMS, "+16505550101", ("+14155550123",), "See", (png,)),
        )
        pdf = OutboundPart("application/pdf", b"%PDF-1.4 fake", "x.pdf")
        fax = platform.send_message(
            extension,
            Outbound(MessageType.FAX, "+16505550101", ("+14155550123",), parts=(pdf,)),
        )
    assert pager["type"] == "Pager" and pager["to"] == [{"extensionNumber": "102"}]
    assert mms["attachments"][-1]["contentType"] == "image/png"
    assert fax["type"] == "Fax" and fax["attachments"][-1]["contentType"] == "application/pdf"
    assert fake.call_count("POST", "/company-pager") == 1
    assert fake.call_count("POST", "/mms") == 1 and fake.call_count("POST", "/fax") == 1
