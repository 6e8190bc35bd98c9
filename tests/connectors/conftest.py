"""Fixtures for connector tests: a running FakeSalesforce and a session against it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# `tests.fakes` must be importable however pytest was started (plain `pytest` does not put
# the repository root on sys.path when tests/ is not a package).
_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from connectors.base import CrmCredentials, CrmSession  # noqa: E402
from connectors.salesforce import SalesforceConnector  # noqa: E402
from connectors.salesforce.client import close_shared_http_session  # noqa: E402
from connectors.salesforce.oauth import credentials_from_token  # noqa: E402
from tests.fakes.salesforce import FakeSalesforce  # noqa: E402


class CredentialRecorder:
    """Stands in for the app's ``on_credentials_changed``: remembers every call."""

    def __init__(self) -> None:
        self.saved: list[CrmCredentials] = []

    def __call__(self, credentials: CrmCredentials) -> None:
        self.saved.append(credentials)


@pytest.fixture
def fake_sf() -> Iterator[FakeSalesforce]:
    """A started fake org (default seed); fails the test if a fake handler crashed."""
    with FakeSalesforce() as fake:
        yield fake
    # Pooled keep-alive sockets point at the stopped server: close them now.
    close_shared_http_session()
    assert fake.errors == [], f"fake Salesforce handler errors: {fake.errors!r}"


@pytest.fixture
def sf_config(fake_sf: FakeSalesforce) -> dict[str, Any]:
    """Connector config pointing at the fake's login host."""
    return {
        "client_id": fake_sf.client_id,
        "client_secret": fake_sf.client_secret,
        "login_url": fake_sf.url,
        "api_version": "66.0",
        "timeout": 5,
    }


@pytest.fixture
def recorder() -> CredentialRecorder:
    """Records credentials persisted after a refresh."""
    return CredentialRecorder()


@pytest.fixture
def sf_session(
    fake_sf: FakeSalesforce, sf_config: dict[str, Any], recorder: CredentialRecorder
) -> CrmSession:
    """A session with tokens issued by the fake (as after a completed OAuth flow)."""
    credentials = credentials_from_token(fake_sf.issue_tokens())
    return CrmSession(credentials, recorder, sf_config, "America/Los_Angeles")


@pytest.fixture
def connector() -> SalesforceConnector:
    """A connector using the shared HTTP pool."""
    return SalesforceConnector()
