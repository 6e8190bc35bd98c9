"""The Log panel against the fake Salesforce: links, CRM errors, outages, expired tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from bs4 import BeautifulSoup
from sqlalchemy import select

from tests.crm.web.conftest import JANE, OLIVER, connect_salesforce, inbound
from tests.helpers import html, sign_in
from widget.crm_logging import matching
from widget.crm_logging.credentials import decrypt_credentials
from widget.extensions import db
from widget.jobs import huey
from widget.models import CrmConnection

HOSTILE = '<script>alert("x")</script> **bold** [a](javascript:alert(1))'
VALIDATION_ERROR = [
    {
        "message": "Subject: enter a subject shorter than 80 characters",
        "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "fields": [],
    }
]


@pytest.fixture
def alice(demo_app, demo_client, fake_sf):
    connect_salesforce(demo_app, "101", fake_sf)
    return sign_in(demo_client, "101")


def panel_url(cid: int, tail: str = "") -> str:
    return f"/widget/crm/conversations/{cid}/log{tail}"


def log_jane(demo_client, alice, cid: int, fake_sf, **fields):
    data = {"record_id": fake_sf.ids["jane"], "field_priority": "Normal", **fields}
    return demo_client.post(panel_url(cid), data=data, headers=alice)


def run_scheduled_tasks() -> None:
    """Run the retries Huey scheduled, travelling to each one's time."""
    for task in sorted(huey.scheduled(), key=lambda t: t.eta):
        with time_machine.travel(task.eta.replace(tzinfo=UTC) + timedelta(seconds=1), tick=True):
            huey.execute(task)


def stored_access_token(app) -> str:
    with app.app_context():
        row = db.session.scalars(select(CrmConnection)).one()
        return decrypt_credentials(row.encrypted_credentials).access_token


def test_panel_offers_salesforce_records_and_links_to_lightning(demo_client, alice, fake_sf):
    cid = inbound(demo_client, JANE, "Can you resend the quote?")

    page = html(demo_client.get(panel_url(cid), headers=alice))

    assert page.find("h2").get_text() == "Log to Salesforce"
    choice = page.select_one(f"label.choice[data-record-id='{fake_sf.ids['jane']}']")
    assert choice.select_one(".record-name").get_text() == "Jane Roe (Contact)"
    host = fake_sf.instance_url  # http://localhost:PORT: the manifest's https keeps http here
    assert choice.find("a")["href"] == f"{host}/lightning/r/Contact/{fake_sf.ids['jane']}/view"
    options = {
        o["value"]: o.get_text()
        for o in page.find("select", {"name": "field_relatedTo"}).find_all("option")
    }
    assert fake_sf.ids["deal"] in options and fake_sf.ids["roe"] in options

    response = log_jane(demo_client, alice, cid, fake_sf, field_relatedTo=fake_sf.ids["deal"])

    status = html(response).select_one(f"#log-status-{cid}")
    assert status["data-state"] == "logged"
    task = fake_sf.records("Task")[0]
    assert task["WhatId"] == fake_sf.ids["deal"] and task["WhoId"] == fake_sf.ids["jane"]
    assert (
        status.select_one("a.activity-link")["href"] == f"{host}/lightning/r/Task/{task['Id']}/view"
    )


def test_crm_validation_error_shows_log_failed_and_retry_writes_it(demo_client, alice, fake_sf):
    cid = inbound(demo_client, JANE, "Hello")
    fake_sf.fail_next("POST sobjects/Task", 400, body=VALIDATION_ERROR)

    failed = html(log_jane(demo_client, alice, cid, fake_sf))

    status = failed.select_one(f"#log-status-{cid}")
    assert status["data-state"] == "failed"
    assert (
        status.select_one(".log-failed")
        .get_text(" ", strip=True)
        .startswith("Log failed: Subject: enter a subject shorter than 80 characters")
    )
    retry = status.find("button", string="Retry")
    # In the Log panel, Retry asks for the panel's own block back (no "Choose record").
    assert retry["hx-post"] == panel_url(cid, "/retry") + "?view=panel"
    assert fake_sf.records("Task") == []

    retried = demo_client.post(retry["hx-post"], headers=alice)

    assert retried.status_code == 200
    assert html(retried).select_one(f"#log-status-{cid}")["data-state"] == "logged"
    assert html(retried).select_one(f"#log-status-{cid}")["data-view"] == "panel"
    assert len(fake_sf.records("Task")) == 1


def test_crm_down_at_write_time_shows_will_retry_then_logs(demo_app, demo_client, alice, fake_sf):
    from tests.realtime.conftest import listen
    from widget.models import Extension

    cid = inbound(demo_client, JANE, "Hello")
    demo_client.get(panel_url(cid), headers=alice)  # the panel was open: matches are known
    fake_sf.fail_next("POST sobjects/Task", 503)

    response = log_jane(demo_client, alice, cid, fake_sf)

    status = html(response).select_one(f"#log-status-{cid}")
    assert status["data-state"] == "retrying"
    assert "CRM unreachable, will retry" in status.get_text()
    assert not status.has_attr("hx-trigger")  # the retry's end is pushed, never polled
    assert fake_sf.records("Task") == []

    with demo_app.app_context():
        owner = db.session.scalar(select(Extension).filter_by(extension_number="101"))
        inbox = listen(demo_app, owner)
    run_scheduled_tasks()

    pushed = [
        BeautifulSoup(d.html, "html.parser").select_one(f"#log-status-{cid}") for d in inbox.drain()
    ]
    assert [p["data-state"] for p in pushed if p is not None][-1:] == ["logged"]

    later = html(demo_client.get(panel_url(cid, "/status"), headers=alice))
    assert later.select_one(".log-status")["data-state"] == "logged"
    assert len(fake_sf.records("Task")) == 1


def test_crm_down_when_opening_the_panel_says_so_with_try_again(demo_client, alice, fake_sf):
    cid = inbound(demo_client, JANE, "Hello")
    fake_sf.fail_next("GET search", 503)

    page = html(demo_client.get(panel_url(cid), headers=alice))

    problem = page.select_one(".crm-problem")
    assert "Salesforce is unreachable right now" in problem.get_text()
    assert problem.find("button", string="Try again")["hx-get"] == panel_url(cid)
    assert page.select_one("#log-form") is None
    assert html(demo_client.get(panel_url(cid), headers=alice)).select_one("#log-form")


def test_slow_crm_times_out_into_unreachable(demo_app, demo_client, alice, fake_sf):
    cid = inbound(demo_client, JANE, "Hello")
    demo_app.config["CRM_HTTP_TIMEOUT"] = 0.3
    fake_sf.latency = 1.0

    started = datetime.now(UTC)
    page = html(demo_client.get(panel_url(cid), headers=alice))

    assert datetime.now(UTC) - started < timedelta(seconds=1)
    assert "Salesforce is unreachable right now" in page.select_one(".crm-problem").get_text()


def test_expired_access_token_is_refreshed_and_the_new_one_stored(
    demo_app, demo_client, alice, fake_sf
):
    cid = inbound(demo_client, JANE, "Hello")
    before = stored_access_token(demo_app)
    fake_sf.oauth.expire_access_tokens()

    page = html(demo_client.get(panel_url(cid), headers=alice))

    assert page.select_one(f"label.choice[data-record-id='{fake_sf.ids['jane']}']")
    assert stored_access_token(demo_app) != before


def test_revoked_tokens_ask_the_user_to_reconnect(demo_client, alice, fake_sf):
    cid = inbound(demo_client, JANE, "Hello")
    fake_sf.oauth.revoke_refresh_tokens()

    page = html(demo_client.get(panel_url(cid), headers=alice))

    problem = page.select_one(".crm-problem").get_text()
    assert "Your Salesforce sign-in has expired" in problem and "reconnect in Settings" in problem


def test_hostile_text_in_plain_text_preview_and_task(demo_client, alice, fake_sf):
    cid = inbound(demo_client, JANE, HOSTILE)

    response = demo_client.get(panel_url(cid), headers=alice)

    page = html(response)
    assert page.find("script") is None
    assert "&lt;script&gt;alert" in response.get_data(as_text=True)
    assert HOSTILE in page.select_one("#log-preview pre").get_text()
    log_jane(demo_client, alice, cid, fake_sf)
    description = fake_sf.records("Task")[0]["Description"]
    assert HOSTILE in description  # plain text: stored as written, no markup to break out of


def test_crm_down_while_choosing_a_name_shows_the_unreachable_panel(demo_client, alice, fake_sf):
    cid = inbound(demo_client, JANE, "Hello")
    demo_client.get(panel_url(cid), headers=alice)
    matching.clear()  # the cached matches expired meanwhile
    fake_sf.fail_next("GET search", 503)

    response = demo_client.get(
        panel_url(cid, "/fields"), query_string={"record_id": fake_sf.ids["jane"]}, headers=alice
    )

    assert response.status_code == 200  # a state of the panel: htmx swaps no 5xx
    assert response.headers["HX-Retarget"] == "#log-panel"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert "Salesforce is unreachable" in html(response).select_one(".crm-problem").get_text()


def test_create_contact_at_salesforce_and_its_refusal(demo_client, alice, fake_sf):
    cid = inbound(demo_client, OLIVER, "Hello from London")
    page = html(demo_client.get(panel_url(cid), headers=alice))
    form = page.select_one("#create-contact form")
    types = [o["value"] for o in form.find("select", {"name": "contact_type"}).find_all("option")]
    assert types == ["Contact", "Lead"]
    refusal = [{"message": "Last Name: required", "errorCode": "REQUIRED_FIELD_MISSING"}]
    fake_sf.fail_next("POST sobjects/Contact", 400, body=refusal)
    data = {"phone": OLIVER, "name": "Oliver Brooks", "contact_type": "Contact"}

    refused = demo_client.post(
        f"/widget/crm/conversations/{cid}/contacts", data=data, headers=alice
    )

    assert refused.status_code == 422
    problem = html(refused).select_one("#create-contact [role=alert]").get_text()
    assert problem == "Salesforce refused the request: Last Name: required"
    assert not any(c.get("LastName") == "Brooks" for c in fake_sf.records("Contact"))

    created = demo_client.post(
        f"/widget/crm/conversations/{cid}/contacts", data=data, headers=alice
    )

    assert created.status_code == 200
    new = next(c for c in fake_sf.records("Contact") if c.get("LastName") == "Brooks")
    chosen = html(created).find("input", {"name": "record_id", "checked": True})
    assert chosen["value"] == new["Id"]
