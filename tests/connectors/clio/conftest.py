"""Fixtures for Clio connector tests: a running FakeClio (US region) and a session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors.clio import ClioConnector
from connectors.clio.api import ClioSettings
from connectors.http import close_pooled_http
from connectors.session import CrmSession
from fakes.clio import FakeClio
from tests.connectors.conftest import CredentialRecorder


@pytest.fixture
def fake_clio() -> Iterator[FakeClio]:
    """A started fake region; fails the test if a fake handler crashed."""
    with FakeClio() as fake:
        yield fake
    close_pooled_http()
    assert fake.errors == [], f"fake Clio handler errors: {fake.errors!r}"


@pytest.fixture
def clio_config(fake_clio: FakeClio) -> dict[str, Any]:
    """Connector config whose US host is the fake."""
    return {
        "client_id": fake_clio.client_id,
        "client_secret": fake_clio.client_secret,
        "us_url": fake_clio.url,
        "region": "US",
        "timeout": 5,
    }


@pytest.fixture
def clio_session(fake_clio: FakeClio, clio_config: dict[str, Any]) -> CrmSession:
    """A session with tokens issued by the fake (as after a completed sign-in)."""
    refresher = ClioSettings.from_config(clio_config).refresher()
    credentials = refresher.credentials(fake_clio.issue_tokens())
    credentials.extra["user_id"] = fake_clio.user["id"]
    return CrmSession(credentials, CredentialRecorder(), clio_config, "America/New_York")


@pytest.fixture
def clio() -> ClioConnector:
    return ClioConnector()
