"""The interface's defaults, data classes and the bundled Salesforce manifest."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from connectors.base import Connector
from connectors.errors import CrmValidationError
from connectors.records import RELATED_TO
from connectors.salesforce import SalesforceConnector
from connectors.salesforce.settings import SalesforceSettings
from connectors.session import CrmCredentials, CrmSession
from widget.local_crm.connector import LocalConnector


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


@pytest.mark.parametrize("connector", [LocalConnector(), SalesforceConnector()], ids=lambda c: c.id)
def test_every_bundled_manifest_names_related_to_with_the_shared_constant(
    connector: Connector,
) -> None:
    platform = connector.manifest()["platforms"][connector.id]
    fields = {f["const"]: f for f in platform["page"]["messageLog"]["additionalFields"]}
    assert fields[RELATED_TO]["contactDependent"] is True
    assert fields[RELATED_TO]["title"] == "Related to"


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


def test_settings_come_from_prefixed_variables_with_defaults() -> None:
    environ = {
        "SALESFORCE_CLIENT_ID": "cid",
        "SALESFORCE_LOGIN_URL": "",  # set but empty: the default
        "SALESFORCE_VERIFY_SIGNATURE": "false",
        "OTHER_CLIENT_ID": "not ours",
    }
    settings = SalesforceConnector.settings(environ)
    assert settings["CLIENT_ID"] == "cid"
    assert settings["LOGIN_URL"] == "https://login.salesforce.com"
    assert settings["CLIENT_SECRET"] == settings["REDIRECT_URI"] == ""
    assert set(settings) == set(SalesforceConnector.setting_defaults)
    as_config = {name.lower(): value for name, value in settings.items() if value}
    assert SalesforceSettings.from_config(as_config).verify_signature is False


def test_connector_ids_become_variable_prefixes() -> None:
    class Dashed(LocalConnector):
        id = "my-crm.v2"
        setting_defaults = {"API_URL": "https://api.example"}

    assert Dashed.env_prefix() == "MY_CRM_V2_"
    assert Dashed.settings({"MY_CRM_V2_API_URL": "https://eu.example"}) == {
        "API_URL": "https://eu.example"
    }
    assert LocalConnector.settings({"LOCAL_ANYTHING": "x"}) == {}  # declares none


APPCONNECT = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "appconnect"


def _connector_for(manifest_file: str, platform: str) -> Connector:
    path = APPCONNECT / manifest_file
    if not path.is_file():
        pytest.skip("conformance folder not available")

    class FromManifest(LocalConnector):
        id = platform

        def manifest(self) -> dict:
            return json.loads(path.read_text(encoding="utf-8"))

    return FromManifest()


def test_api_key_fields_of_real_manifests() -> None:
    insightly = _connector_for("insightly-manifest.json", "insightly")
    assert [(f.const, f.required, f.secret) for f in insightly.api_key_fields()] == [
        ("apiKey", True, True),
        ("apiUrl", True, False),
    ]  # the "Get API Key" button is not an input
    assert "Insightly User Settings" in (insightly.api_key_warning() or "")
    redtail = _connector_for("redtail-manifest.json", "redtail")
    assert [(f.const, f.secret) for f in redtail.api_key_fields()] == [
        ("username", False),
        ("password", True),
    ]  # the typography line is not an input
    credentials = redtail.credentials_from_api_key({"username": "ann", "password": "pw"})
    assert (credentials.api_key, credentials.extra) == (None, {"username": "ann", "password": "pw"})
    assert LocalConnector().api_key_fields() == []


def test_api_key_values_are_checked_before_anything_is_built() -> None:
    insightly = _connector_for("insightly-manifest.json", "insightly")
    with pytest.raises(CrmValidationError) as caught:
        insightly.credentials_from_api_key({"apiKey": " ", "apiUrl": "u" * 2001, "other": "x"})
    assert caught.value.message == "apiKey is required; apiUrl is longer than 2000 characters."
    assert caught.value.fields == ["apiKey", "apiUrl"]
    credentials = insightly.credentials_from_api_key({"apiKey": " k ", "apiUrl": "https://u"})
    assert (credentials.api_key, credentials.extra) == ("k", {"apiUrl": "https://u"})
