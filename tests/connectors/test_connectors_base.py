"""The interface's defaults, data classes and the bundled Salesforce manifest."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from connectors.base import CrmCredentials, CrmSession
from connectors.salesforce import SalesforceConnector


def test_credentials_repr_hides_secrets() -> None:
    credentials = CrmCredentials("access-secret", "refresh-secret", api_key="key-secret")
    text = repr(credentials) + repr(CrmSession(credentials))
    assert "secret" not in text
    assert "token_type='Bearer'" in text


def test_salesforce_manifest_shape() -> None:
    connector = SalesforceConnector()
    manifest = connector.manifest()
    platform = manifest["platforms"]["salesforce"]
    assert platform["auth"]["type"] == "oauth"
    assert [t["value"] for t in platform["contactTypes"]] == ["Contact", "Lead"]
    assert platform["logFormat"] == connector.get_log_format_type() == "text/plain"
    fields = {f["const"]: f for f in platform["page"]["messageLog"]["additionalFields"]}
    assert fields["relatedTo"]["contactDependent"] is True
    assert fields["relatedTo"]["title"] == "Related to"
    assert fields["priority"]["defaultValue"] == "Normal"
    assert [o["const"] for o in fields["priority"]["options"]] == ["High", "Normal", "Low"]
    manifest["platforms"].clear()  # callers get a copy
    assert connector.manifest()["platforms"]


def test_salesforce_manifest_passes_project_validation() -> None:
    manifest_pkg = pytest.importorskip("manifest")
    assert manifest_pkg.validate_manifest(SalesforceConnector().manifest()) == []


def test_authorization_url_with_and_without_pkce() -> None:
    connector = SalesforceConnector()
    config = {"client_id": "cid", "login_url": "https://test.salesforce.com/"}
    url = connector.build_authorization_url(
        config, "https://app.example/cb", "st", code_verifier="v" * 50
    )
    with_pkce = parse_qs(urlsplit(url).query)
    assert with_pkce["code_challenge_method"] == ["S256"]
    assert with_pkce["redirect_uri"] == ["https://app.example/cb"]
    assert with_pkce["scope"] == ["api id refresh_token"]
    url = connector.build_authorization_url(config, "https://app.example/cb", "st")
    assert url.startswith("https://test.salesforce.com/services/oauth2/authorize?")
    assert "code_challenge" not in url
