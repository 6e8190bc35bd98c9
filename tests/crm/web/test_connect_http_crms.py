"""Connecting HubSpot, Pipedrive and Clio through the popup flow against their fakes:
what is stored, the checks made at connect time, and Clio's region kept per connection."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from connectors.http import close_pooled_http
from fakes.clio import FakeClio
from tests.crm.http_crms import HTTP_CRMS
from tests.crm.web.test_salesforce_connect import authorize_at_fake, connection_of, pending_flows
from tests.helpers import html, sign_in
from widget import htmx_support
from widget.crm_logging.credentials import decrypt_credentials


def start(client, headers: dict, connector_id: str, data: dict | None = None):
    """Post the widget's token and the connect choices into the popup, as crm.js does."""
    form = {
        "token": headers[htmx_support.TOKEN_HEADER],
        "csrf_token": headers[htmx_support.CSRF_HEADER],
        **(data or {}),
    }
    return client.post(
        f"/crm/connect/{connector_id}/start", data=form, headers={"Origin": "http://localhost"}
    )


def authorize_url(response) -> str:
    """The CRM authorization page the popup goes on to."""
    assert response.status_code == 200, response.get_data(as_text=True)
    return html(response).body["data-authorize-url"]


@pytest.fixture(params=sorted(HTTP_CRMS))
def connected_crm(request, demo_app) -> Iterator[tuple]:
    crm = HTTP_CRMS[request.param]
    with crm.make_fake() as fake:
        demo_app.config.update(crm.settings(fake), CRM_HTTP_TIMEOUT=3)
        yield crm, fake
    close_pooled_http()


def test_the_popup_flow_connects_and_keeps_what_each_crm_needs(
    demo_app, demo_client, connected_crm
):
    crm, fake = connected_crm
    alice = sign_in(demo_client, "101")
    location = authorize_url(start(demo_client, alice, crm.id))
    assert location.startswith(f"{fake.url}/oauth/authorize?")
    assert parse_qs(urlsplit(location).query)["client_id"] == [fake.client_id]

    callback = demo_client.get(authorize_at_fake(location))

    assert callback.status_code == 200, callback.get_data(as_text=True)
    assert html(callback).body["data-crm-connected"] == crm.id
    connection = connection_of(demo_app, "101")
    assert connection.connector_id == crm.id
    with demo_app.app_context():
        credentials = decrypt_credentials(connection.encrypted_credentials)
    assert credentials.access_token not in connection.encrypted_credentials
    assert pending_flows(demo_app) == 0
    if crm.id == "hubspot":
        assert credentials.extra["hub_id"] == fake.hub_id
        assert fake.call_count("POST", "/oauth/v3/token") == 1
    elif crm.id == "pipedrive":
        assert credentials.instance_url == fake.api_domain
        assert credentials.extra["activity_type"] == "sms"
    else:
        assert credentials.instance_url == fake.url and credentials.extra["region"] == "US"
        assert connection.settings == {"region": "US"}
    settings = html(demo_client.get("/widget/crm/settings", headers=alice))
    name = {"hubspot": "HubSpot", "pipedrive": "Pipedrive", "clio": "Clio"}[crm.id]
    assert settings.find("button", string=f"Disconnect {name}") is not None

    # Disconnecting revokes at the CRM: the stored tokens stop working there.
    assert demo_client.post("/crm/connect/disconnect", headers=alice).status_code == 200
    if crm.id == "clio":
        assert credentials.access_token not in fake.tokens.access  # deauthorized
    else:
        assert credentials.refresh_token not in fake.tokens.refresh
    assert connection_of(demo_app, "101").encrypted_credentials is None


def test_pipedrive_without_the_configured_activity_type_is_not_connected(demo_app, demo_client):
    crm = HTTP_CRMS["pipedrive"]
    with crm.make_fake() as fake:
        demo_app.config.update(crm.settings(fake), PIPEDRIVE_ACTIVITY_TYPE="Text message")
        alice = sign_in(demo_client, "101")
        location = authorize_url(start(demo_client, alice, "pipedrive"))
        response = demo_client.get(authorize_at_fake(location))
    close_pooled_http()
    assert response.status_code == 502
    message = html(response).select_one(".error-box").get_text()
    assert "no active activity type “Text message”" in message
    connection = connection_of(demo_app, "101")
    assert connection is None or connection.encrypted_credentials is None


def test_clio_asks_for_the_region_and_signs_in_there(demo_app, demo_client):
    with FakeClio() as us, FakeClio() as europe:
        demo_app.config.update(
            CLIO_CLIENT_ID=us.client_id,
            CLIO_CLIENT_SECRET=us.client_secret,
            CLIO_US_URL=us.url,
            CLIO_EU_CLIENT_ID=europe.client_id,
            CLIO_EU_CLIENT_SECRET=europe.client_secret,
            CLIO_EU_URL=europe.url,
        )
        alice = sign_in(demo_client, "101")
        settings = html(demo_client.get("/widget/crm/settings", headers=alice))
        item = settings.find("li", {"data-connector-id": "clio"})
        select = item.find("select", {"name": "region"})
        assert [o["value"] for o in select.find_all("option")] == ["US", "EU"]
        assert item.find("label").get_text(" ", strip=True).startswith("Clio region")

        bad = start(demo_client, alice, "clio", {"region": "AU"})
        assert bad.status_code == 400 and pending_flows(demo_app) == 0
        assert "Clio region “AU” is not one of the choices" in (
            html(bad).select_one(".error-box").get_text()
        )

        location = authorize_url(start(demo_client, alice, "clio", {"region": "EU"}))
        assert location.startswith(f"{europe.url}/oauth/authorize?")
        assert demo_client.get(authorize_at_fake(location)).status_code == 200
        assert us.calls == []  # the US instance saw nothing
        connection = connection_of(demo_app, "101")
        assert connection.settings == {"region": "EU"}
        with demo_app.app_context():
            credentials = decrypt_credentials(connection.encrypted_credentials)
        assert credentials.instance_url == europe.url and credentials.extra["region"] == "EU"
        # Later lookups go to Europe as well.
        europe.add_contact("Ada Lovelace", "+14155550123")
        from tests.crm.web.conftest import inbound

        conversation = inbound(demo_client, "+14155550123", "Hello from Europe")
        panel = demo_client.get(f"/widget/crm/conversations/{conversation}/log", headers=alice)
        assert "Ada Lovelace" in panel.get_data(as_text=True)
        assert us.calls == []
    close_pooled_http()


def test_a_refusal_shows_log_failed_with_the_crms_words(demo_app, demo_client, connected_crm):
    from sqlalchemy import select

    from tests.crm.web.conftest import inbound
    from widget.extensions import db
    from widget.models import Extension

    crm, fake = connected_crm
    with demo_app.app_context():
        alice_row = db.session.scalars(
            select(Extension).where(Extension.extension_number == "101")
        ).one()
        crm.connect(alice_row, fake)
    jane, _ = crm.seed_jane(fake, "(415) 555-0177")
    alice = sign_in(demo_client, "101")
    cid = inbound(demo_client, "+14155550177", "Hello")
    message = "Body rejected: <b>needs</b> a matter & a date"
    status_code, body = crm.refusal(message)
    fake.fail_next(crm.create_path, status_code, body=body)

    response = demo_client.post(
        f"/widget/crm/conversations/{cid}/log", data={"record_id": jane}, headers=alice
    )

    status = html(response).select_one(f"#log-status-{cid}")
    assert status["data-state"] == "failed"
    shown = status.select_one(".log-failed").get_text(" ", strip=True)
    assert shown.startswith(f"Log failed: {message}")
    assert "<b>needs</b>" in response.get_data(as_text=True).replace("&lt;", "<").replace(
        "&gt;", ">"
    ) and "<b>needs</b>" not in response.get_data(as_text=True)
    assert crm.bodies(fake) == []


def test_the_log_panel_offers_each_crms_records_and_logs_with_related_to(
    demo_app, demo_client, connected_crm
):
    from sqlalchemy import select

    from tests.crm.web.conftest import inbound
    from widget.extensions import db
    from widget.models import Extension

    crm, fake = connected_crm
    with demo_app.app_context():
        alice_row = db.session.scalars(
            select(Extension).where(Extension.extension_number == "101")
        ).one()
        crm.connect(alice_row, fake)
    jane, related = crm.seed_jane(fake, "(415) 555-0178")
    alice = sign_in(demo_client, "101")
    cid = inbound(demo_client, "+14155550178", "Renewal <soon>?")
    name = {"hubspot": "HubSpot", "pipedrive": "Pipedrive", "clio": "Clio"}[crm.id]
    kind = {"hubspot": "Contact", "pipedrive": "Person", "clio": "Person"}[crm.id]

    page = html(demo_client.get(f"/widget/crm/conversations/{cid}/log", headers=alice))

    assert page.find("h2").get_text() == f"Log to {name}"
    choice = page.select_one(f"label.choice[data-record-id='{jane}']")
    assert choice.select_one(".record-name").get_text() == f"Jane Roe ({kind})"
    options = {
        o["value"]: o.get_text()
        for o in page.find("select", {"name": "field_relatedTo"}).find_all("option")
    }
    assert related in options
    if crm.id == "pipedrive":
        assert "Pipedrive keeps the deal" in page.get_text()

    response = demo_client.post(
        f"/widget/crm/conversations/{cid}/log",
        data={"record_id": jane, "field_relatedTo": related},
        headers=alice,
    )

    assert html(response).select_one(f"#log-status-{cid}")["data-state"] == "logged"
    [body] = crm.bodies(fake)
    assert "Renewal" in body
