"""The person suite, continued: logging to the CRM and scheduled sending, walked at
360 x 800 and asserted as a person sees them (see ``test_person_suite.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.browser.person import assert_seen, assert_thread_looks_right, open_conversation
from tests.browser.person_steps import ALICE_SMS, JANE, inbound, jane_thread, reply_with_picture
from widget.extensions import db
from widget.models import Message, ScheduledMessage

pytestmark = pytest.mark.browser


def test_log_panel(alice, live_server):
    from playwright.sync_api import expect

    open_conversation(alice, jane_thread(live_server))
    alice.locator("#thread").get_by_role("button", name="Log", exact=True).click()
    panel = alice.locator("#thread .log-panel")
    expect(panel).to_be_visible()
    submit = panel.locator("form button[type=submit]").last
    assert_seen(panel.locator("h2").first, "the Log panel title")
    submit.scroll_into_view_if_needed()
    assert_seen(submit, "the Log button")
    submit.click()
    expect(alice.locator("#thread")).to_contain_text("Logged")


def test_logging_state_is_pushed_when_the_write_finishes(alice, live_server, monkeypatch):
    from playwright.sync_api import expect

    from widget.crm_logging import tasks

    # A worker process writes, not the request (tests run tasks inline): the Log answer
    # says "Logging…", and the test plays the worker once the answer is on screen.
    queued: list[int] = []
    write = tasks.write_crm_activity
    monkeypatch.setattr(tasks, "write_crm_activity", queued.append)
    open_conversation(alice, jane_thread(live_server))
    alice.locator("#thread").get_by_role("button", name="Log", exact=True).click()
    submit = alice.locator("#thread .log-panel form button[type=submit]").last
    submit.scroll_into_view_if_needed()
    submit.click()
    status = alice.locator("#thread .log-status")
    expect(status).to_have_attribute("data-state", "pending")
    assert_seen(status.get_by_text("Logging…"), "Logging…")

    asked = []
    alice.on("request", lambda r: asked.append(r.url) if "/log/status" in r.url else None)
    (activity_id,) = queued
    with live_server.app.app_context():
        assert write.call_local(activity_id) == "written"
        db.session.remove()
    expect(status).to_have_attribute("data-state", "logged")
    assert_seen(status.locator(".logged-mark"), "the logged mark")
    assert asked == [], "the page asked for the status instead of being told"


def test_auto_log(alice, live_server):
    from playwright.sync_api import expect

    alice.locator("details.menu > summary").click()
    alice.get_by_role("button", name="Settings").click()
    toggle = alice.get_by_label("Auto log SMS")
    assert_seen(toggle, "the Auto log SMS switch")
    if not toggle.is_checked():
        toggle.check()
    inbound(live_server, JANE, ALICE_SMS, "Auto-logged, please")
    import time

    with live_server.app.app_context():
        from widget.local_crm.models import LocalCrmActivity

        deadline = time.monotonic() + 20
        found = None
        while time.monotonic() < deadline and found is None:
            db.session.expire_all()
            found = db.session.scalars(
                select(LocalCrmActivity).where(
                    LocalCrmActivity.body.contains("Auto-logged, please")
                )
            ).first()
            time.sleep(0.3)
        db.session.remove()
    assert found is not None, "the auto-log wrote no activity"
    alice.goto(live_server.url + "/crm/local/activities")
    entry = alice.get_by_text("Auto-logged, please").first
    expect(entry).to_be_attached()


def test_scheduled_send(alice, live_server):
    from playwright.sync_api import expect

    conversation_id = jane_thread(live_server)
    open_conversation(alice, conversation_id)
    reply = alice.locator("#reply-form")
    reply.locator("#compose-text").fill("Reminder: demo tomorrow")
    reply.get_by_text("Send later").click()
    when = datetime.now(ZoneInfo("America/New_York")) + timedelta(days=1)
    reply.locator("#send-at").fill(when.strftime("%Y-%m-%dT10:00"))
    reply.get_by_role("button", name="Schedule").click()
    item = alice.locator(f"#scheduled-{conversation_id} .scheduled-item")
    expect(item).to_contain_text("Reminder: demo tomorrow")
    expect(item).to_contain_text("10:00 AM")
    assert_seen(item, "the scheduled message")
    assert_thread_looks_right(alice, "the thread with a scheduled message")

    # Due now: the worker sends it, and it arrives like any sent message.
    with live_server.app.app_context():
        row = db.session.scalars(select(ScheduledMessage)).one()
        from widget.scheduled.service import claim_due, send_claimed

        claim_due(now=row.send_at)
        send_claimed(row.id)
        sent = db.session.scalars(
            select(Message).where(Message.subject == "Reminder: demo tomorrow")
        ).one()
        db.session.remove()
    bubble = alice.locator(f"#message-{sent.id}")
    expect(bubble).to_be_visible()
    assert_seen(bubble, "the scheduled message, sent")


def test_scheduled_picture(alice, live_server):
    from playwright.sync_api import expect

    conversation_id = jane_thread(live_server)
    reply = reply_with_picture(alice, conversation_id)
    reply.get_by_text("Send later").click()
    when = datetime.now(ZoneInfo("America/New_York")) + timedelta(days=1)
    reply.locator("#send-at").fill(when.strftime("%Y-%m-%dT11:00"))
    reply.get_by_role("button", name="Schedule").click()
    item = alice.locator(f"#scheduled-{conversation_id} .scheduled-item")
    expect(item.locator(".scheduled-picture")).to_contain_text("dock.png")
    assert_seen(item.locator(".scheduled-picture"), "the scheduled picture")

    with live_server.app.app_context():
        from widget.scheduled.service import claim_due, send_claimed

        row = db.session.scalars(select(ScheduledMessage)).one()
        claim_due(now=row.send_at)
        send_claimed(row.id)
        (sent_id,) = row.sent_message_ids
        db.session.remove()
    newest = alice.locator(f"#message-{sent_id}")
    expect(newest.locator("img")).to_be_visible()  # pushed like any sent MMS
    assert_seen(newest.locator("img"), "the scheduled picture, sent")
