"""The CRMs ``bench/crm_calls.py`` can measure: each one's fake, app settings, seeding
and connection, behind one small interface (calls are counted by each fake)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.clio.api import ClioSettings
from connectors.http import close_pooled_http
from connectors.hubspot import OWNER_ID, HubSpotConnector
from connectors.hubspot import api as hubspot_api
from connectors.hubspot.api import HubSpotSettings, owner_of_user
from connectors.hubspot.records import KEY_PROPERTY
from connectors.pipedrive import PipedriveConnector
from connectors.pipedrive.api import PipedriveSettings
from connectors.salesforce import SalesforceConnector
from connectors.salesforce.oauth import credentials_from_token
from connectors.session import CrmSession
from fakes.clio import FakeClio
from fakes.hubspot import FakeHubSpot
from fakes.pipedrive import FakePipedrive
from fakes.salesforce import FakeSalesforce
from widget.crm_logging import engine
from widget.models import Extension


def national(phone: str) -> str:
    """Return a NANP number as "(415) 555-0123"."""
    return f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}"


@dataclass(frozen=True)
class BenchCrm:
    """How to run one CRM in the benchmark."""

    make_fake: Callable[[float], Any]
    settings: Callable[[Any], dict[str, Any]]
    seed: Callable[[Any, str, str, str], None]  # fake, phone, last, first
    connect: Callable[[Extension, Any], None]
    close: Callable[[], None]
    stored_as: str  # how the seeded numbers are written in the CRM


def _sf_seed(fake: FakeSalesforce, phone: str, last: str, first: str) -> None:
    org = fake.add_account(f"{last} Inc")
    fake.add_contact(last, first, phone=national(phone), account_id=org)


def _sf_connect(extension: Extension, fake: FakeSalesforce) -> None:
    # As the connect flow does: the user and the org's shape are learnt at connect time.
    credentials = credentials_from_token(fake.issue_tokens())
    session = CrmSession(credentials, config=engine.connector_config("salesforce"))
    user_info = SalesforceConnector().get_user_info(session)
    engine.connect(extension, "salesforce", credentials, user_info)


def _hs_seed(fake: FakeHubSpot, phone: str, last: str, first: str) -> None:
    company = fake.add_company(f"{last} Inc")
    contact = fake.add_contact(first, last, phone=national(phone), company_id=company)
    fake.add_deal(f"{last} renewal", contact)


def _hs_connect(extension: Extension, fake: FakeHubSpot) -> None:
    settings = HubSpotSettings.from_config({"api_url": fake.url, "client_id": fake.client_id})
    credentials = settings.refresher().credentials(fake.issue_tokens())
    credentials.extra["hub_id"] = fake.hub_id
    # Connecting (exchange_code) resolves the user's owner id and creates the log-key
    # property once, as a real sign-in does.
    session = CrmSession(credentials, config={"api_url": fake.url})
    user_id = HubSpotConnector().get_user_info(session)["id"]
    owner = owner_of_user(hubspot_api.client(session), user_id) or ""
    credentials.extra.update({"user_id": user_id, OWNER_ID: owner})
    fake.custom_properties.add(KEY_PROPERTY)
    engine.connect(extension, "hubspot", credentials, {})


def _pd_seed(fake: FakePipedrive, phone: str, last: str, first: str) -> None:
    org = fake.add_organization(f"{last} Inc")
    person = fake.add_person(f"{first} {last}", "+1 " + national(phone), org)
    fake.add_deal(f"{last} renewal", person)


def _pd_connect(extension: Extension, fake: FakePipedrive) -> None:
    config = {"oauth_url": fake.url, "client_id": fake.client_id, "client_secret": "-"}
    refresher = PipedriveSettings.from_config(config).refresher()
    credentials = refresher.credentials(fake.issue_tokens())
    credentials.extra.update(PipedriveConnector().connection_extra(CrmSession(credentials)))
    engine.connect(extension, "pipedrive", credentials, {})


def _clio_seed(fake: FakeClio, phone: str, last: str, first: str) -> None:
    contact = fake.add_contact(f"{first} {last}", phone)
    fake.add_matter(contact, f"{last} estate")


def _clio_connect(extension: Extension, fake: FakeClio) -> None:
    config = {"us_url": fake.url, "client_id": fake.client_id}
    credentials = ClioSettings.from_config(config).refresher().credentials(fake.issue_tokens())
    credentials.extra["user_id"] = fake.user["id"]
    engine.connect(extension, "clio", credentials, {}, {"region": "US"})


TARGETS = {
    "salesforce": BenchCrm(
        lambda latency: FakeSalesforce(seed=False, latency=latency),
        lambda f: {
            "SALESFORCE_CLIENT_ID": f.client_id,
            "SALESFORCE_CLIENT_SECRET": f.client_secret,
            "SALESFORCE_LOGIN_URL": f.url,
        },
        _sf_seed,
        _sf_connect,
        close_pooled_http,
        "(415) 555-0123",
    ),
    "hubspot": BenchCrm(
        lambda latency: FakeHubSpot(latency=latency),
        lambda f: {
            "HUBSPOT_CLIENT_ID": f.client_id,
            "HUBSPOT_CLIENT_SECRET": f.client_secret,
            "HUBSPOT_API_URL": f.url,
        },
        _hs_seed,
        _hs_connect,
        close_pooled_http,
        "(415) 555-0123",
    ),
    "pipedrive": BenchCrm(
        lambda latency: FakePipedrive(latency=latency),
        lambda f: {
            "PIPEDRIVE_CLIENT_ID": f.client_id,
            "PIPEDRIVE_CLIENT_SECRET": f.client_secret,
            "PIPEDRIVE_OAUTH_URL": f.url,
        },
        _pd_seed,
        _pd_connect,
        close_pooled_http,
        "+1 (415) 555-0123",
    ),
    "clio": BenchCrm(
        lambda latency: FakeClio(latency=latency),
        lambda f: {
            "CLIO_CLIENT_ID": f.client_id,
            "CLIO_CLIENT_SECRET": f.client_secret,
            "CLIO_US_URL": f.url,
        },
        _clio_seed,
        _clio_connect,
        close_pooled_http,
        "+14155550123",
    ),
}
