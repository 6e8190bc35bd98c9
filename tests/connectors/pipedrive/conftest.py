"""Fixtures for Pipedrive connector tests: a running FakePipedrive and a session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors.http import close_pooled_http
from connectors.pipedrive import PipedriveConnector
from connectors.pipedrive.api import PipedriveSettings
from connectors.session import CrmSession
from fakes.pipedrive import FakePipedrive
from tests.connectors.conftest import CredentialRecorder


@pytest.fixture
def fake_pd() -> Iterator[FakePipedrive]:
    """A started fake company; fails the test if a fake handler crashed."""
    with FakePipedrive() as fake:
        yield fake
    close_pooled_http()
    assert fake.errors == [], f"fake Pipedrive handler errors: {fake.errors!r}"


@pytest.fixture
def pd_config(fake_pd: FakePipedrive) -> dict[str, Any]:
    """Connector config pointing at the fake's OAuth host."""
    return {
        "client_id": fake_pd.client_id,
        "client_secret": fake_pd.client_secret,
        "oauth_url": fake_pd.url,
        "timeout": 5,
    }


@pytest.fixture
def pd_session(fake_pd: FakePipedrive, pd_config: dict[str, Any]) -> CrmSession:
    """A session with tokens issued by the fake, its activity type checked."""
    refresher = PipedriveSettings.from_config(pd_config).refresher()
    credentials = refresher.credentials(fake_pd.issue_tokens())
    session = CrmSession(credentials, CredentialRecorder(), pd_config, "America/New_York")
    credentials.extra.update(PipedriveConnector().connection_extra(session))
    return session


@pytest.fixture
def pipedrive() -> PipedriveConnector:
    return PipedriveConnector()
