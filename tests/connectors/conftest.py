"""Fixtures for connector tests: a running FakeSalesforce and a session against it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from connectors.http import close_pooled_http
from connectors.salesforce import SalesforceConnector
from connectors.salesforce.oauth import credentials_from_token
from connectors.salesforce.org import describe_org, remember
from connectors.session import CrmCredentials, CrmSession
from fakes.salesforce import FakeSalesforce


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
    close_pooled_http()
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
    """A session as after a completed connect: tokens issued by the fake and the org's
    shape learnt (connect-time describe calls, not counted by the tests)."""
    credentials = credentials_from_token(fake_sf.issue_tokens())
    session = CrmSession(credentials, config=sf_config, user_timezone="America/Los_Angeles")
    remember(session, describe_org(SalesforceConnector().client(session)))
    session.on_credentials_changed = recorder
    fake_sf.reset_calls()
    return session


@pytest.fixture
def connector() -> SalesforceConnector:
    """A connector using the shared HTTP pool."""
    return SalesforceConnector()


@pytest.fixture
def compose_body():
    """The app's log-body composer, for the connector contract: one message of ``text``."""
    from widget.crm_logging.digest import Digest, DigestEntry, render

    def compose(text: str, log_format: str) -> str:
        entry = DigestEntry(dt.datetime(2026, 11, 17, 9, 30), "Ada Lovelace", text)
        digest = Digest(
            subject="SMS conversation",
            title="SMS conversation with Ada Lovelace",
            day=dt.date(2026, 11, 17),
            zone_name="America/New_York",
            participants=("Ada Lovelace", "Contract Tester"),
            logged_by="Contract Tester",
            entries=(entry,),
        )
        return render(digest, log_format)

    return compose
