"""The HTTP CRMs of the end-to-end tests, each behind the same small adapter: its fake,
the app settings pointing at it, how a user is connected, seeded and read back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.clio.api import ClioSettings
from connectors.hubspot.api import HubSpotSettings
from connectors.pipedrive import PipedriveConnector
from connectors.pipedrive.api import PipedriveSettings
from connectors.session import CrmSession
from fakes.clio import FakeClio
from fakes.hubspot import FakeHubSpot
from fakes.pipedrive import FakePipedrive
from widget.crm_logging import engine
from widget.models import Extension

JANE_STORED = {
    "hubspot": "(415) 555-0123",
    "pipedrive": "+1 415-555-0123",
    "clio": "(415) 555-0123",
}


@dataclass(frozen=True)
class HttpCrm:
    """One CRM under test (see the module docstring)."""

    id: str
    make_fake: Callable[..., Any]
    settings: Callable[[Any], dict[str, Any]]
    create_path: str
    log_format: str

    def connect(self, extension: Extension, fake: Any) -> None:
        """Connect ``extension`` as after a completed sign-in."""
        CONNECT[self.id](extension, fake)

    def seed_jane(self, fake: Any, phone: str | None = None) -> tuple[str, str]:
        """Store Jane Roe with a record to relate logs to; return (record id, related id)."""
        return SEED[self.id](fake, phone or JANE_STORED[self.id])

    def bodies(self, fake: Any) -> list[str]:
        """Return the body of every log the fake holds, oldest first."""
        return BODIES[self.id](fake)

    def filed_under(self, fake: Any) -> list[str]:
        """Return the record id each log the fake holds is filed under, oldest first."""
        return FILED_UNDER[self.id](fake)

    def refusal(self, message: str) -> tuple[int, Any]:
        """Return the status and body the CRM refuses a write with, saying ``message``."""
        return REFUSALS[self.id](message)


def _hubspot_connect(extension: Extension, fake: FakeHubSpot) -> None:
    settings = HubSpotSettings.from_config({"api_url": fake.url, "client_id": fake.client_id})
    credentials = settings.refresher().credentials(fake.issue_tokens())
    # As a sign-in made before owners were resolved: the first log resolves the owner.
    credentials.extra.update(hub_id=fake.hub_id, user_id=293199)
    engine.connect(extension, "hubspot", credentials, {"name": fake.user_email})


def _pipedrive_connect(extension: Extension, fake: FakePipedrive) -> None:
    config = {"oauth_url": fake.url, "client_id": fake.client_id, "client_secret": "x"}
    credentials = PipedriveSettings.from_config(config).refresher().credentials(fake.issue_tokens())
    credentials.extra.update(PipedriveConnector().connection_extra(CrmSession(credentials)))
    engine.connect(extension, "pipedrive", credentials, {"name": fake.user["name"]})


def _clio_connect(extension: Extension, fake: FakeClio) -> None:
    config = {"us_url": fake.url, "client_id": fake.client_id}
    credentials = ClioSettings.from_config(config).refresher().credentials(fake.issue_tokens())
    credentials.extra["user_id"] = fake.user["id"]
    engine.connect(extension, "clio", credentials, {"name": fake.user["name"]}, {"region": "US"})


CONNECT = {"hubspot": _hubspot_connect, "pipedrive": _pipedrive_connect, "clio": _clio_connect}


def _hubspot_seed(fake: FakeHubSpot, phone: str) -> tuple[str, str]:
    company = fake.add_company("Roe Logistics")
    contact = fake.add_contact("Jane", "Roe", phone=phone, company_id=company)
    return contact, f"deal:{fake.add_deal('Fleet renewal', contact)}"


def _pipedrive_seed(fake: FakePipedrive, phone: str) -> tuple[str, str]:
    org = fake.add_organization("Roe Logistics")
    person = fake.add_person("Jane Roe", phone, org)
    return str(person), f"deal:{fake.add_deal('Fleet renewal', person)}"


def _clio_seed(fake: FakeClio, phone: str) -> tuple[str, str]:
    contact = fake.add_contact("Jane Roe", phone)
    return str(contact), str(fake.add_matter(contact, "Lease dispute"))


SEED = {"hubspot": _hubspot_seed, "pipedrive": _pipedrive_seed, "clio": _clio_seed}
BODIES = {
    "hubspot": lambda f: [
        c["properties"]["hs_communication_body"] for c in f.communications.values()
    ],
    "pipedrive": lambda f: [a["note"] for a in f.activities.values()],
    "clio": lambda f: [c["body"] for c in f.communications.values()],
}
FILED_UNDER = {
    "hubspot": lambda f: [
        i for c in f.communications for kind, i in f.associations_of(c) if kind == "contacts"
    ],
    "pipedrive": lambda f: [str(a["person_id"]) for a in f.activities.values()],
    "clio": lambda f: [
        str(p["id"])
        for c in f.communications.values()
        for p in [*c.get("senders", []), *c.get("receivers", [])]
        if p.get("type") == "Contact"
    ],
}
REFUSALS = {
    "hubspot": lambda m: (
        400,
        FakeHubSpot.validation_error(m, "INVALID_OPTION", "hs_communication_body").get_json(),
    ),
    "pipedrive": lambda m: (400, {"success": False, "error": m, "errorCode": 400}),
    "clio": lambda m: (422, {"error": {"type": "InvalidFields", "message": m}}),
}

HTTP_CRMS = {
    "hubspot": HttpCrm(
        "hubspot",
        FakeHubSpot,
        lambda f: {
            "HUBSPOT_CLIENT_ID": f.client_id,
            "HUBSPOT_CLIENT_SECRET": f.client_secret,
            "HUBSPOT_API_URL": f.url,
            "HUBSPOT_AUTHORIZE_URL": f"{f.url}/oauth/authorize",
        },
        "POST /crm/v3/objects/communications",
        "text/html",
    ),
    "pipedrive": HttpCrm(
        "pipedrive",
        FakePipedrive,
        lambda f: {
            "PIPEDRIVE_CLIENT_ID": f.client_id,
            "PIPEDRIVE_CLIENT_SECRET": f.client_secret,
            "PIPEDRIVE_OAUTH_URL": f.url,
        },
        "POST /api/v2/activities",
        "text/html",
    ),
    "clio": HttpCrm(
        "clio",
        FakeClio,
        lambda f: {
            "CLIO_CLIENT_ID": f.client_id,
            "CLIO_CLIENT_SECRET": f.client_secret,
            "CLIO_US_URL": f.url,
        },
        "POST /api/v4/communications.json",
        "text/plain",
    ),
}
