"""Salesforce OAuth: code exchange with PKCE, refresh on 401, refresh failures, revoke."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token

from connectors.errors import CrmAuthError, CrmRetryableError
from connectors.http import close_pooled_http
from connectors.salesforce import SalesforceConnector
from connectors.salesforce.oauth import check_signature, credentials_from_token
from connectors.salesforce.settings import SalesforceSettings
from connectors.session import CrmSession
from fakes.salesforce import FakeSalesforce

REDIRECT = "https://sidetalk.example/oauth/salesforce/callback"


def _authorize(connector: SalesforceConnector, config: dict[str, Any], verifier: str) -> str:
    """Run the browser step against the fake; return the authorization code."""
    url = connector.build_authorization_url(config, REDIRECT, "state-123", code_verifier=verifier)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{config['login_url']}/services/oauth2/authorize?")
    assert query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == [config["client_id"]]
    assert "refresh_token" in query["scope"][0].split()
    with requests.get(url, allow_redirects=False, timeout=5) as response:
        assert response.status_code == 302
        location = response.headers["Location"]
    assert location.startswith(REDIRECT)
    params = parse_qs(urlsplit(location).query)
    assert params["state"] == ["state-123"]
    return params["code"][0]


def test_oauth_info_points_at_login_url(connector: SalesforceConnector, sf_config: dict) -> None:
    info = connector.get_oauth_info(sf_config)
    assert info.authorize_url == f"{sf_config['login_url']}/services/oauth2/authorize"
    assert info.token_url == f"{sf_config['login_url']}/services/oauth2/token"
    assert info.use_pkce is True
    assert connector.get_auth_type() == "oauth"


def test_code_exchange_with_pkce_uses_instance_url_from_response(
    fake_sf: FakeSalesforce, connector: SalesforceConnector, sf_config: dict
) -> None:
    verifier = generate_token(64)
    code = _authorize(connector, sf_config, verifier)

    credentials = connector.exchange_code(sf_config, code, REDIRECT, verifier)

    assert credentials.refresh_token
    assert credentials.expires_at is None  # Salesforce sends no expires_in
    assert credentials.instance_url == fake_sf.instance_url != sf_config["login_url"]
    assert credentials.extra["issued_at"].isdigit()
    session = CrmSession(credentials, lambda c: None, sf_config)
    fake_sf.reset_calls()
    assert connector.find_contact(session, "+16508673450")
    data_hosts = {r.host for r in fake_sf.requests if r.path.startswith("/services/data/")}
    assert data_hosts == {f"localhost:{fake_sf.port}"}


def test_code_exchange_rejects_wrong_verifier(
    connector: SalesforceConnector, sf_config: dict
) -> None:
    code = _authorize(connector, sf_config, generate_token(64))
    with pytest.raises(CrmAuthError, match="invalid code verifier"):
        connector.exchange_code(sf_config, code, REDIRECT, generate_token(64))


def test_code_is_single_use(connector: SalesforceConnector, sf_config: dict) -> None:
    verifier = generate_token(64)
    code = _authorize(connector, sf_config, verifier)
    connector.exchange_code(sf_config, code, REDIRECT, verifier)
    with pytest.raises(CrmAuthError, match="invalid authorization code"):
        connector.exchange_code(sf_config, code, REDIRECT, verifier)


def test_signature_mismatch_is_rejected() -> None:
    settings = SalesforceSettings.from_config({"client_id": "x", "client_secret": "secret"})
    token = {"id": "https://login/id/00D/005", "issued_at": "1", "signature": "Zm9v"}
    with pytest.raises(CrmAuthError, match="signature"):
        check_signature(settings, token)


def test_refresh_on_401_persists_once_and_keeps_refresh_token(
    fake_sf: FakeSalesforce, connector: SalesforceConnector, sf_session: CrmSession, recorder
) -> None:
    old = sf_session.credentials
    fake_sf.expire_access_tokens()
    fake_sf.reset_calls()

    matches = connector.find_contact(sf_session, "+16508673450")

    assert [m.name for m in matches] == ["Edna Frank", "GenePoint"]
    assert len(recorder.saved) == 1
    saved = recorder.saved[0]
    assert saved is sf_session.credentials
    assert saved.access_token != old.access_token
    assert saved.refresh_token == old.refresh_token  # no rotation: keep the old one
    assert fake_sf.call_count("POST", "/services/oauth2/token") == 1
    # search (401) + token + search retried + related query
    assert fake_sf.call_count() == 4


def test_rotated_refresh_token_is_persisted(sf_config: dict, recorder) -> None:
    with FakeSalesforce(rotate_refresh_tokens=True) as fake:
        config = {**sf_config, "login_url": fake.url}
        session = CrmSession(credentials_from_token(fake.issue_tokens()), recorder, config)
        old_refresh = session.credentials.refresh_token
        fake.expire_access_tokens()
        SalesforceConnector().find_contact(session, "+16508673450")
    close_pooled_http()
    # Persisted at once after the refresh (and again when the org's shape was learnt on
    # this first use of a connection made without it): never the dead token.
    assert recorder.saved
    assert all(saved.refresh_token not in (None, old_refresh) for saved in recorder.saved)


def test_concurrent_refreshes_share_one_token_call(sf_config: dict) -> None:
    """With rotation, a second refresh with the old token would fail: it must be shared."""
    with FakeSalesforce(rotate_refresh_tokens=True) as fake:
        config = {**sf_config, "login_url": fake.url}
        token = fake.issue_tokens()
        sessions = [CrmSession(credentials_from_token(token), lambda c: None, config) for _ in "ab"]
        fake.expire_access_tokens()
        connector = SalesforceConnector()
        failures: list[BaseException] = []

        def work(session: CrmSession) -> None:
            try:
                connector.find_contact(session, "+16508673450")
            except BaseException as exc:  # reported below
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(s,)) for s in sessions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        token_calls = fake.call_count("POST", "/services/oauth2/token")
    close_pooled_http()
    assert failures == []
    assert token_calls == 1
    assert sessions[0].credentials.access_token == sessions[1].credentials.access_token


def test_revoked_refresh_token_raises_auth_error(
    fake_sf: FakeSalesforce, connector: SalesforceConnector, sf_session: CrmSession, recorder
) -> None:
    fake_sf.revoke_refresh_tokens()
    with pytest.raises(CrmAuthError, match="expired access/refresh token"):
        connector.find_contact(sf_session, "+16508673450")
    assert recorder.saved == []


def test_missing_refresh_token_raises_auth_error(
    fake_sf: FakeSalesforce, connector: SalesforceConnector, sf_session: CrmSession
) -> None:
    sf_session.credentials.refresh_token = None
    fake_sf.expire_access_tokens()
    with pytest.raises(CrmAuthError, match="reconnect"):
        connector.find_contact(sf_session, "+16508673450")


def test_still_401_after_refresh_raises_auth_error(
    fake_sf: FakeSalesforce, connector: SalesforceConnector, sf_session: CrmSession, recorder
) -> None:
    fake_sf.fail_next("GET search/", 401, times=2)
    with pytest.raises(CrmAuthError, match="Session expired or invalid"):
        connector.find_contact(sf_session, "+16508673450")
    assert len(recorder.saved) == 1  # the refresh itself succeeded and was persisted


def test_token_endpoint_outage_is_retryable(
    fake_sf: FakeSalesforce, connector: SalesforceConnector, sf_session: CrmSession
) -> None:
    fake_sf.expire_access_tokens()
    fake_sf.fail_next("/services/oauth2/token", 503)
    with pytest.raises(CrmRetryableError):
        connector.find_contact(sf_session, "+16508673450")


def test_identity_url_gives_user_info(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce
) -> None:
    info = connector.get_user_info(sf_session)
    assert info["id"] == fake_sf.user_id
    assert info["name"] == "Alan Van"
    assert info["email"] == "admin@mycompany.com"


def test_identity_bad_oauth_token_triggers_refresh(
    connector: SalesforceConnector, sf_session: CrmSession, fake_sf: FakeSalesforce, recorder
) -> None:
    fake_sf.expire_access_tokens()
    assert connector.get_user_info(sf_session)["name"] == "Alan Van"
    assert len(recorder.saved) == 1


def test_revoke_ends_the_session(
    fake_sf: FakeSalesforce, connector: SalesforceConnector, sf_session: CrmSession
) -> None:
    connector.revoke(sf_session)
    with pytest.raises(CrmAuthError):
        connector.find_contact(sf_session, "+16508673450")
