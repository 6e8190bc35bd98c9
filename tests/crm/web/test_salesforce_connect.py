"""Connecting Salesforce: OAuth popup with state and PKCE against the fake, then disconnect."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine
from sqlalchemy import func, select

from tests.crm.web.conftest import configure_salesforce, connect_salesforce
from tests.helpers import html, sign_in
from widget import htmx_support
from widget.crm_logging.credentials import decrypt_credentials
from widget.extensions import db
from widget.models import CrmConnection, CrmOAuthState, Extension
from widget.models.types import utcnow

START = "/crm/connect/salesforce/start"
CALLBACK_PATH = "/crm/connect/salesforce/callback"


@pytest.fixture
def sf(demo_app, fake_sf):
    configure_salesforce(demo_app, fake_sf)
    fake_sf.require_pkce = True
    return fake_sf


def popup_post(client, headers: dict, path: str = START, origin: str = "http://localhost"):
    """Post the widget's token and CSRF secret into the popup, as crm.js does."""
    form = {
        "token": headers[htmx_support.TOKEN_HEADER],
        "csrf_token": headers[htmx_support.CSRF_HEADER],
    }
    return client.post(path, data=form, headers={"Origin": origin})


def start_flow(client, headers: dict) -> str:
    """Start a sign-in in the popup; return the CRM authorization URL it is sent to."""
    response = popup_post(client, headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return html(response).body["data-authorize-url"]


def authorize_at_fake(location: str) -> str:
    """Follow the authorize URL at the fake (it approves at once); return the callback path."""
    answer = requests.get(location, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


def connection_of(app, extension_number: str) -> CrmConnection | None:
    with app.app_context():
        return db.session.scalars(
            select(CrmConnection)
            .join(Extension, Extension.id == CrmConnection.extension_id)
            .where(Extension.extension_number == extension_number)
        ).first()


def pending_flows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(CrmOAuthState.id)))


def test_full_flow_stores_encrypted_credentials_and_tells_the_widget(demo_app, demo_client, sf):
    alice = sign_in(demo_client, "101")

    location = start_flow(demo_client, alice)

    authorize = urlsplit(location)
    query = parse_qs(authorize.query)
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == (
        f"{sf.url}/services/oauth2/authorize"
    )
    assert query["client_id"] == [sf.client_id]
    assert query["redirect_uri"] == ["http://localhost/crm/connect/salesforce/callback"]
    assert query["code_challenge_method"] == ["S256"] and len(query["state"][0]) >= 32
    assert pending_flows(demo_app) == 1

    callback = demo_client.get(authorize_at_fake(location))

    assert callback.status_code == 200
    assert "frame-ancestors 'none'" in callback.headers["Content-Security-Policy"]
    page = html(callback)
    assert page.body["data-crm-connected"] == "salesforce"
    assert page.find("script")["src"].endswith("/static/crm.js")
    assert page.find("script").string is None  # no inline script: the CSP forbids it
    connection = connection_of(demo_app, "101")
    assert connection.connector_id == "salesforce"
    with demo_app.app_context():
        credentials = decrypt_credentials(connection.encrypted_credentials)
    assert credentials.access_token and credentials.access_token not in (
        connection.encrypted_credentials
    )
    assert credentials.refresh_token not in connection.encrypted_credentials
    assert credentials.instance_url == sf.instance_url
    assert connection.user_info["name"] == sf.user_name
    assert pending_flows(demo_app) == 0
    settings = html(demo_client.get("/widget/crm/settings", headers=alice))
    assert settings.select_one(".crm-name").get_text() == "Salesforce"
    assert settings.find("button", string="Disconnect Salesforce") is not None


def test_a_callback_cannot_be_replayed(demo_app, demo_client, sf):
    alice = sign_in(demo_client, "101")
    callback = authorize_at_fake(start_flow(demo_client, alice))
    secret = demo_client.get_cookie("sidetalk_flow", path=CALLBACK_PATH).value
    assert demo_client.get(callback).status_code == 200
    demo_client.post("/crm/connect/disconnect", headers=alice)
    # Even with the browser's secret put back, the state was single-use.
    demo_client.set_cookie("sidetalk_flow", secret, path=CALLBACK_PATH)

    replay = demo_client.get(callback)

    assert replay.status_code == 400
    assert "already finished" in html(replay).select_one(".error-box").get_text()
    assert connection_of(demo_app, "101").connector_id == "local"


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("code=abc", "has no state"),
        ("code=abc&state=forged-state-value", "unknown, was already finished"),
    ],
)
def test_bad_state_is_refused_and_nothing_stored(demo_app, demo_client, sf, query, words):
    alice = sign_in(demo_client, "101")
    start_flow(demo_client, alice)

    response = demo_client.get(f"/crm/connect/salesforce/callback?{query}")

    assert response.status_code == 400
    assert words in html(response).select_one(".error-box").get_text()
    connection = connection_of(demo_app, "101")
    assert connection is None or connection.encrypted_credentials is None
    assert sf.call_count("POST", "/services/oauth2/token") == 0


def test_missing_code_and_refusal_at_salesforce_store_nothing(demo_app, demo_client, sf):
    alice = sign_in(demo_client, "101")
    state = parse_qs(urlsplit(start_flow(demo_client, alice)).query)["state"][0]
    no_code = demo_client.get(f"/crm/connect/salesforce/callback?state={state}")
    state = parse_qs(urlsplit(start_flow(demo_client, alice)).query)["state"][0]
    denied = demo_client.get(
        "/crm/connect/salesforce/callback?error=access_denied"
        f"&error_description=end-user+denied+authorization&state={state}"
    )

    assert no_code.status_code == 400
    assert "sent no authorization code" in html(no_code).select_one(".error-box").get_text()
    assert denied.status_code == 400
    assert "end-user denied authorization" in html(denied).select_one(".error-box").get_text()
    connection = connection_of(demo_app, "101")
    assert connection is None or connection.encrypted_credentials is None


def test_token_endpoint_error_is_a_clear_page_and_nothing_stored(demo_app, demo_client, sf):
    alice = sign_in(demo_client, "101")
    callback = authorize_at_fake(start_flow(demo_client, alice))
    sf.fail_next(
        "POST /services/oauth2/token",
        400,
        body={"error": "invalid_grant", "error_description": "authentication failure"},
    )

    response = demo_client.get(callback)

    assert response.status_code == 502
    message = html(response).select_one(".error-box").get_text()
    assert "Salesforce refused the sign-in" in message and "authentication failure" in message
    connection = connection_of(demo_app, "101")
    assert connection is None or connection.encrypted_credentials is None


def test_a_wrong_verifier_is_refused_by_the_token_endpoint(demo_app, demo_client, sf):
    alice = sign_in(demo_client, "101")
    callback = authorize_at_fake(start_flow(demo_client, alice))
    with demo_app.app_context():
        flow = db.session.scalars(select(CrmOAuthState)).one()
        flow.code_verifier = "x" * 64  # as if an attacker replayed the code without it
        db.session.commit()

    response = demo_client.get(callback)

    assert response.status_code == 502
    assert "invalid code verifier" in html(response).select_one(".error-box").get_text()
    connection = connection_of(demo_app, "101")
    assert connection is None or connection.encrypted_credentials is None


def test_an_old_flow_expires(demo_app, demo_client, sf):
    alice = sign_in(demo_client, "101")
    callback = authorize_at_fake(start_flow(demo_client, alice))

    with time_machine.travel(utcnow() + timedelta(minutes=11)):
        response = demo_client.get(callback)

    assert response.status_code == 400
    assert "expired" in html(response).select_one(".error-box").get_text()
    assert connection_of(demo_app, "101") is None or (
        connection_of(demo_app, "101").encrypted_credentials is None
    )


def test_the_start_binds_the_flow_to_the_popups_browser_with_a_lax_cookie(demo_client, sf):
    alice = sign_in(demo_client, "101")

    response = popup_post(demo_client, alice)

    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("sidetalk_flow=")
    assert "Path=/crm/connect/salesforce/callback" in cookie
    assert {"Secure", "HttpOnly", "SameSite=Lax"} <= {p.strip() for p in cookie.split(";")}
    page = html(response)
    assert page.body["data-authorize-url"].startswith(f"{sf.url}/services/oauth2/authorize?")
    assert (
        page.find("a", string="Continue to Salesforce")["href"] == page.body["data-authorize-url"]
    )
    assert alice[htmx_support.TOKEN_HEADER] not in response.get_data(as_text=True)


def test_a_flow_finished_in_another_browser_is_refused_and_nothing_stored(
    demo_app, demo_client, sf
):
    """The attack: Bob starts a Salesforce connection and gets someone else to complete
    it (a browser with no Sidetalk session): their tokens used to land on Bob's extension."""
    bob = sign_in(demo_client, "102")
    callback = authorize_at_fake(start_flow(demo_client, bob))
    elsewhere = demo_app.test_client()

    response = elsewhere.get(callback)

    assert response.status_code == 400
    assert "not started in this browser" in html(response).select_one(".error-box").get_text()
    bobs = connection_of(demo_app, "102")
    assert bobs is None or bobs.encrypted_credentials is None
    assert sf.call_count("POST", "/services/oauth2/token") == 0


def test_a_flow_with_another_browsers_secret_is_refused(demo_app, demo_client, sf):
    bob = sign_in(demo_client, "102")
    callback = authorize_at_fake(start_flow(demo_client, bob))
    elsewhere = demo_app.test_client()
    popup_post(elsewhere, sign_in(elsewhere, "101"))  # a flow (and secret) of its own

    response = elsewhere.get(callback)

    assert response.status_code == 400
    assert "started in another browser" in html(response).select_one(".error-box").get_text()
    bobs = connection_of(demo_app, "102")
    assert bobs is None or bobs.encrypted_credentials is None


@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
def test_a_start_posted_from_another_origin_is_refused(demo_app, demo_client, sf, origin):
    victim = sign_in(demo_client, "101")

    response = popup_post(demo_app.test_client(), victim, origin=origin)

    assert response.status_code == 403
    assert pending_flows(demo_app) == 0


def test_one_user_keeps_at_most_five_pending_flows(demo_app, demo_client, sf):
    alice = sign_in(demo_client, "101")
    first = authorize_at_fake(start_flow(demo_client, alice))
    for _ in range(7):
        start_flow(demo_client, alice)

    assert pending_flows(demo_app) == 5
    assert demo_client.get(first).status_code == 400  # the oldest was forgotten


def test_the_flow_connects_the_user_who_started_it(demo_app, demo_client, sf):
    bob = sign_in(demo_client, "102")
    callback = authorize_at_fake(start_flow(demo_client, bob))
    alice = sign_in(demo_client, "101")  # the browser is Alice's by the time it comes back

    demo_client.get(callback, headers={htmx_support.TOKEN_HEADER: alice[htmx_support.TOKEN_HEADER]})

    assert connection_of(demo_app, "102").connector_id == "salesforce"
    alices = connection_of(demo_app, "101")
    assert alices is None or alices.connector_id == "local"


def test_start_needs_a_signed_in_user_csrf_and_a_configured_app(demo_app, demo_client, fake_sf):
    configure_salesforce(demo_app, fake_sf)
    assert demo_client.post(START).status_code == 403  # no identity, no CSRF token
    alice = sign_in(demo_client, "101")
    no_csrf = {k: v for k, v in alice.items() if k != htmx_support.CSRF_HEADER}
    assert demo_client.post(START, headers=no_csrf).status_code == 403
    forged = {**alice, htmx_support.CSRF_HEADER: "forged"}
    assert popup_post(demo_client, forged).status_code == 403
    assert demo_client.get(START, headers=alice).status_code == 405  # never a GET
    assert pending_flows(demo_app) == 0

    demo_app.config["SALESFORCE_CLIENT_ID"] = ""
    unconfigured = popup_post(demo_client, alice)

    assert unconfigured.status_code == 503  # shown in the popup
    assert "SALESFORCE_CLIENT_ID" in html(unconfigured).select_one(".error-box").get_text()
    assert pending_flows(demo_app) == 0


def test_unknown_and_non_oauth_connectors(demo_client, sf):
    alice = sign_in(demo_client, "101")

    assert demo_client.post("/crm/connect/nocrm/start", headers=alice).status_code == 404
    assert demo_client.post("/crm/connect/local/start", headers=alice).status_code == 400
    assert demo_client.post("/crm/connect/salesforce/use", headers=alice).status_code == 400


def test_disconnect_revokes_and_deletes_credentials(demo_app, demo_client, fake_sf):
    connect_salesforce(demo_app, "101", fake_sf)
    alice = sign_in(demo_client, "101")

    response = demo_client.post("/crm/connect/disconnect", headers=alice)

    assert response.status_code == 200
    block = html(response).select_one("#crm-connection")
    assert block.select_one(".crm-name").get_text() == "Local CRM"
    assert block.find("button", string="Connect Salesforce")["data-crm-connect"] == START
    assert fake_sf.call_count("POST", "/services/oauth2/revoke") == 1
    connection = connection_of(demo_app, "101")
    assert (connection.connector_id, connection.encrypted_credentials) == ("local", None)


def test_disconnect_needs_csrf(demo_app, demo_client, fake_sf):
    connect_salesforce(demo_app, "101", fake_sf)
    alice = sign_in(demo_client, "101")
    headers = {k: v for k, v in alice.items() if k != htmx_support.CSRF_HEADER}

    assert demo_client.post("/crm/connect/disconnect", headers=headers).status_code == 403
    assert connection_of(demo_app, "101").connector_id == "salesforce"


def test_switching_back_to_the_local_crm_revokes_salesforce(demo_app, demo_client, fake_sf):
    connect_salesforce(demo_app, "101", fake_sf)
    alice = sign_in(demo_client, "101")

    response = demo_client.post("/crm/connect/local/use", headers=alice)

    assert html(response).select_one(".crm-name").get_text() == "Local CRM"
    assert fake_sf.call_count("POST", "/services/oauth2/revoke") == 1
    connection = connection_of(demo_app, "101")
    assert (connection.connector_id, connection.encrypted_credentials) == ("local", None)


def test_a_configured_redirect_uri_is_used_for_the_whole_flow(demo_app, demo_client, sf):
    registered = "https://sidetalk.example.com/crm/connect/salesforce/callback"
    demo_app.config["SALESFORCE_REDIRECT_URI"] = registered
    alice = sign_in(demo_client, "101")

    location = start_flow(demo_client, alice)

    assert parse_qs(urlsplit(location).query)["redirect_uri"] == [registered]
    with demo_app.app_context():
        assert db.session.scalars(select(CrmOAuthState.redirect_uri)).one() == registered
