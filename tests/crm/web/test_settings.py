"""The Settings panel: auto-log, open the log page, conflict policy, and the compose hook."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import make_response
from sqlalchemy import func, select

from tests.crm.web.conftest import ALICE_NUMBER, JANE
from tests.helpers import html, sign_in
from widget.crm_logging.hooks import OPEN_LOG_EVENT, open_log_page_trigger
from widget.extensions import db
from widget.inbox.events import handle_instant_event
from widget.models import (
    ConflictPolicy,
    CrmAccountSettings,
    CrmActivity,
    CrmConnection,
    Extension,
    MessageType,
)
from widget.models.types import utcnow
from widget.platforms.sandbox.delivery import build_record, instant_event

SETTINGS = "/widget/crm/settings"


@pytest.fixture
def bob(demo_client):
    return sign_in(demo_client, "102")


def setting_of(app, extension_number: str, column: str):
    with app.app_context():
        return db.session.scalar(
            select(getattr(CrmConnection, column))
            .join(Extension, Extension.id == CrmConnection.extension_id)
            .where(Extension.extension_number == extension_number)
        )


def policy_of(app) -> ConflictPolicy | None:
    with app.app_context():
        return db.session.scalar(select(CrmAccountSettings.conflict_policy))


def test_settings_panel_shows_crm_and_toggles(demo_client, alice):
    response = demo_client.get(SETTINGS, headers=alice)

    page = html(response)
    assert page.select_one("#crm-connection .crm-name").get_text() == "Local CRM"
    connect = page.find("button", string="Connect Salesforce")
    assert connect["data-crm-connect"] == "/crm/connect/salesforce/start"
    auto = page.select_one("#auto-log-setting")
    assert auto.find("label").get_text(strip=True) == "Auto log SMS"
    assert not auto.find("input", {"name": "enabled"}).has_attr("checked")
    assert page.select_one("#open-log-page-setting label").get_text(strip=True) == (
        "Open SMS logging page after message"
    )
    policy = page.find("select", {"name": "policy"})
    assert [o.get_text() for o in policy.find_all("option")] == [
        "Ask me",
        "Most recently updated",
        "Earliest created",
        "Alphabetical",
    ]
    assert page.select_one("#crm-settings")["hx-trigger"] == "sidetalk:crm-connected from:body"
    editor = page.find("a", string="Edit the log form (admin)")
    assert editor["href"] == "/admin/manifests/local" and editor.has_attr("data-with-token")


def test_topbar_has_a_settings_button(demo_client, alice):
    token = alice["X-Sidetalk-Token"]
    page = html(demo_client.get("/widget/", headers={"X-Sidetalk-Token": token}))

    button = page.find("button", string="Settings")
    assert button["hx-get"] == SETTINGS and button["hx-target"] == "#thread"
    assert any(s.get("src", "").endswith("/static/crm.js") for s in page.find_all("script"))


def test_non_admins_see_the_policy_but_cannot_change_it(demo_app, demo_client, bob):
    page = html(demo_client.get(SETTINGS, headers=bob))

    assert page.find("select", {"name": "policy"}) is None
    assert "Ask me" in page.select_one("#conflict-policy").get_text()
    assert page.find("a", string="Edit the log form (admin)") is None

    response = demo_client.post(
        f"{SETTINGS}/conflict-policy", data={"policy": "alphabetical"}, headers=bob
    )

    assert response.status_code == 403
    assert policy_of(demo_app) in (None, ConflictPolicy.ASK)


def test_admin_sets_the_conflict_policy(demo_app, demo_client, alice):
    response = demo_client.post(
        f"{SETTINGS}/conflict-policy", data={"policy": "alphabetical"}, headers=alice
    )

    assert response.status_code == 200
    chosen = html(response).find("select", {"name": "policy"}).find("option", selected=True)
    assert chosen["value"] == "alphabetical"
    assert policy_of(demo_app) == ConflictPolicy.ALPHABETICAL


def test_unknown_policy_is_422_in_place(demo_app, demo_client, alice):
    response = demo_client.post(
        f"{SETTINGS}/conflict-policy", data={"policy": "coin_flip"}, headers=alice
    )

    assert response.status_code == 422
    assert "HX-Retarget" not in response.headers
    block = html(response).select_one("#conflict-policy-setting")
    assert block.select_one(".field-error").get_text() == "Choose one of the listed policies."
    assert policy_of(demo_app) in (None, ConflictPolicy.ASK)


def test_auto_log_toggle_is_per_user_and_does_not_backfill(demo_app, demo_client, alice):
    response = demo_client.post(f"{SETTINGS}/auto-log", data={"enabled": "1"}, headers=alice)

    block = html(response).select_one("#auto-log-setting")
    assert block.find("input", {"name": "enabled"}).has_attr("checked")
    assert block.find("button", string="Also log earlier messages") is not None
    assert setting_of(demo_app, "101", "auto_log") is True
    assert setting_of(demo_app, "102", "auto_log") in (None, False)
    with demo_app.app_context():
        assert db.session.scalar(select(func.count(CrmActivity.id))) == 0

    off = demo_client.post(f"{SETTINGS}/auto-log", data={}, headers=alice)

    assert not html(off).find("input", {"name": "enabled"}).has_attr("checked")
    assert setting_of(demo_app, "101", "auto_log") is False


def test_backfill_logs_earlier_messages_when_asked(demo_app, demo_client, alice):
    response = demo_client.post(
        f"{SETTINGS}/auto-log", data={"enabled": "1", "backfill": "1"}, headers=alice
    )

    assert "Earlier messages are being logged." in html(response).get_text()
    with demo_app.app_context():
        assert db.session.scalar(select(func.count(CrmActivity.id))) > 0


def test_open_log_page_toggle(demo_app, demo_client, alice):
    on = demo_client.post(f"{SETTINGS}/open-log-page", data={"enabled": "1"}, headers=alice)

    assert html(on).find("input", {"name": "enabled"}).has_attr("checked")
    assert setting_of(demo_app, "101", "open_log_page") is True


def test_settings_changes_need_csrf(demo_app, demo_client, alice):
    headers = {k: v for k, v in alice.items() if k != "X-CSRF-Token"}

    response = demo_client.post(f"{SETTINGS}/auto-log", data={"enabled": "1"}, headers=headers)

    assert response.status_code == 403
    assert setting_of(demo_app, "101", "auto_log") in (None, False)


def _send_as_alice(alice_row: Extension, text: str, minutes: int):
    own = {"phoneNumber": ALICE_NUMBER, "name": alice_row.name}
    record, content = build_record(
        alice_row,
        MessageType.SMS,
        "Outbound",
        own,
        [{"phoneNumber": JANE}],
        text,
        utcnow() + timedelta(minutes=minutes),
        [],
        None,
    )
    return handle_instant_event("sandbox", instant_event(alice_row, record), content).message


def test_first_message_of_the_day_asks_the_widget_to_open_the_log_panel(
    demo_app, demo_client, alice
):
    demo_client.post(f"{SETTINGS}/open-log-page", data={"enabled": "1"}, headers=alice)
    with demo_app.test_request_context():
        alice_row = db.session.scalars(
            select(Extension).where(Extension.extension_number == "101")
        ).one()
        first = _send_as_alice(alice_row, "Morning Jane", 1)
        second = _send_as_alice(alice_row, "One more thing", 2)

        opened = open_log_page_trigger(make_response("sent"), alice_row, first)
        quiet = open_log_page_trigger(make_response("sent"), alice_row, second)

    events = json.loads(opened.headers["HX-Trigger"])
    assert events[OPEN_LOG_EVENT] == {
        "conversationId": first.conversation_id,
        "url": f"/widget/crm/conversations/{first.conversation_id}/log",
    }
    assert "HX-Trigger" not in quiet.headers
