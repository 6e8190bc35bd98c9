"""Fixtures for HubSpot connector tests: a running FakeHubSpot and a session against it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors.http import close_pooled_http
from connectors.hubspot import HubSpotConnector
from connectors.hubspot.api import HubSpotSettings
from connectors.session import CrmSession
from fakes.hubspot import FakeHubSpot
from tests.connectors.conftest import CredentialRecorder


@pytest.fixture
def fake_hs() -> Iterator[FakeHubSpot]:
    """A started fake portal; fails the test if a fake handler crashed."""
    with FakeHubSpot() as fake:
        yield fake
    close_pooled_http()
    assert fake.errors == [], f"fake HubSpot handler errors: {fake.errors!r}"


@pytest.fixture
def hs_config(fake_hs: FakeHubSpot) -> dict[str, Any]:
    """Connector config pointing at the fake."""
    return {
        "client_id": fake_hs.client_id,
        "client_secret": fake_hs.client_secret,
        "api_url": fake_hs.url,
        "authorize_url": f"{fake_hs.url}/oauth/authorize",
        "timeout": 5,
    }


@pytest.fixture
def hs_session(fake_hs: FakeHubSpot, hs_config: dict[str, Any]) -> CrmSession:
    """A session with tokens issued by the fake (as after a completed sign-in)."""
    refresher = HubSpotSettings.from_config(hs_config).refresher()
    credentials = refresher.credentials(fake_hs.issue_tokens())
    credentials.extra["hub_id"] = fake_hs.hub_id
    return CrmSession(credentials, CredentialRecorder(), hs_config, "America/New_York")


@pytest.fixture
def hubspot() -> HubSpotConnector:
    return HubSpotConnector()
