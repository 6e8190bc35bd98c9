"""CRM connections: encrypted credentials, config by convention, cached lookups, disconnect."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from connectors.errors import CrmAuthError
from connectors.session import CrmCredentials
from tests.crm.conftest import JANE, connect_salesforce
from widget.crm_logging import engine
from widget.crm_logging.credentials import decrypt_credentials, encrypt_credentials
from widget.errors import DomainError
from widget.extensions import db
from widget.models import CrmConnection


def test_credentials_are_sealed_and_unreadable_ones_mean_reconnect(app):
    with app.app_context():
        credentials = CrmCredentials(
            access_token="00Dx!secret-access",
            refresh_token="5Aep-secret-refresh",
            instance_url="https://example.my.salesforce.com",
            extra={"id": "https://login.salesforce.com/id/00D/005"},
        )
        sealed = encrypt_credentials(credentials)
        assert "secret" not in sealed and "example" not in sealed
        assert decrypt_credentials(sealed) == credentials
        assert decrypt_credentials(sealed[:-4] + "AAAA") is None
        assert decrypt_credentials(None) is None
        assert "secret" not in repr(credentials)
        app.config["TOKEN_ENCRYPTION_KEY"] = "x" * 43 + "="  # key rotated without re-encrypting
        assert decrypt_credentials(sealed) is None


def test_the_default_local_connection_is_made_once(world, app):
    connection = engine.connection_for(world.alice)
    assert (connection.connector_id, connection.auto_log, connection.open_log_page) == (
        "local",
        False,
        False,
    )
    assert engine.connection_for(world.alice).id == connection.id
    assert db.session.scalar(select(func.count()).select_from(CrmConnection)) == 1
    app.config["DEFAULT_CRM"] = "salesforce"
    assert engine.connection_for(world.erin).connector_id == "salesforce"
    with pytest.raises(CrmAuthError, match="Reconnect your CRM"):
        engine.connector_session(engine.connection_for(world.erin))  # never connected


def test_connector_config_comes_from_app_config_by_name(app):
    app.config.update(
        SALESFORCE_CLIENT_ID="cid",
        SALESFORCE_CLIENT_SECRET="",
        SALESFORCE_LOGIN_URL="https://test.salesforce.com",
        CRM_HTTP_TIMEOUT=7,
    )
    with app.app_context():
        assert engine.connector_config("salesforce") == {
            "client_id": "cid",
            "login_url": "https://test.salesforce.com",
            "timeout": 7,
        }
        assert engine.connector_config("local") == {"timeout": 7}


def test_connector_config_falls_back_to_the_environment(app, monkeypatch):
    monkeypatch.setenv("SALESFORCE_REDIRECT_URI", "https://proxy.example/cb")
    monkeypatch.setenv("SALESFORCE_CLIENT_ID", "from-env")
    app.config.update(SALESFORCE_CLIENT_ID="from-config", CRM_HTTP_TIMEOUT=7)
    with app.app_context():
        config = engine.connector_config("salesforce")
    assert config["redirect_uri"] == "https://proxy.example/cb"
    assert config["client_id"] == "from-config"  # the app's own configuration wins


def test_matches_are_cached_per_number_and_forgotten_on_connect(sf_world, fake_sf):
    world, ids = sf_world
    first = engine.find_records(world.alice, JANE)
    first[0].name = "changed by a caller"
    second = engine.find_records(world.alice, JANE)
    assert [r.id for r in second] == [ids["jane"]] and second[0].name == "Jane Roe"
    assert fake_sf.call_count("GET", "search/") == 1
    with time_machine.travel(timedelta(minutes=6), tick=False):
        engine.find_records(world.alice, JANE)
    assert fake_sf.call_count("GET", "search/") == 2
    connect_salesforce(world.alice, fake_sf)
    engine.find_records(world.alice, JANE)
    assert fake_sf.call_count("GET", "search/") == 3
    assert engine.find_records(world.alice, "101") == []  # extension numbers are internal
    assert fake_sf.call_count("GET", "search/") == 3


def test_user_info_is_asked_once(sf_world, fake_sf):
    world, _ = sf_world
    engine.connect(
        world.alice,
        "salesforce",
        decrypt_credentials(engine.connection_for(world.alice).encrypted_credentials),
    )
    assert engine.cached_user_info(world.alice)["name"] == fake_sf.user_name
    assert engine.cached_user_info(world.alice)["name"] == fake_sf.user_name
    assert fake_sf.call_count("GET", "/id/") == 1


def test_disconnect_revokes_and_falls_back_even_when_the_crm_is_down(sf_world, fake_sf):
    world, _ = sf_world
    engine.disconnect(world.alice)
    assert fake_sf.call_count(None, "/services/oauth2/revoke") == 1
    connection = engine.connection_for(world.alice)
    assert (connection.connector_id, connection.encrypted_credentials) == ("local", None)

    connect_salesforce(world.alice, fake_sf)
    fake_sf.fail_next("/services/oauth2/revoke", 503)
    engine.disconnect(world.alice)
    assert engine.connection_for(world.alice).encrypted_credentials is None


def test_connecting_an_unknown_crm_is_refused(world):
    with pytest.raises(DomainError) as caught:
        engine.connect(world.alice, "notacrm", None)
    assert caught.value.field == "connector_id"
    assert engine.connection_for(world.alice).connector_id == "local"
