"""Fixtures for the Log panel, CRM settings, Salesforce connect and manifest editor tests.

``people`` is a small account built by hand on an empty database (service tests);
HTTP tests use the seeded demo (``demo_client``) and sign in like the iframe does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from connectors.http import close_pooled_http
from connectors.salesforce.oauth import credentials_from_token
from fakes.salesforce import FakeSalesforce
from tests.helpers import add_extension, sign_in
from widget.crm_logging import engine
from widget.extensions import db as _db
from widget.models import Account, Conversation, CrmActivity, Extension


@dataclass
class People:
    account: Account
    admin: Extension
    user: Extension
    other_admin: Extension  # an admin of another company


@pytest.fixture
def people(db) -> People:
    """Two companies: Ann (admin) and Ben in the first, Zed (admin) in the second."""
    first = Account(platform="sandbox", platform_account_id="first", name="First Co")
    second = Account(platform="sandbox", platform_account_id="second", name="Second Co")
    _db.session.add_all([first, second])
    found = People(
        account=first,
        admin=add_extension(first, "101", "Ann Admin", True),
        user=add_extension(first, "102", "Ben User", False),
        other_admin=add_extension(second, "101", "Zed Admin", True),
    )
    _db.session.commit()
    return found


ALICE_NUMBER = "+16505550101"
JANE = "+14155550123"  # local CRM: Contact "Jane Roe" of Roe Logistics
SAM = "+12125550187"  # local CRM: Contact "Sam Okafor" of Okafor Dental
PRIYA = "+13125550144"  # local CRM: Contact "Priya Shah" and Lead "P. Shah"
OLIVER = "+442079460123"  # matches no CRM record


def inbound(client, sender: str, text: str, to: str = ALICE_NUMBER, kind: str = "SMS") -> int:
    """Deliver a message from outside through the sandbox (real ingestion); return its
    conversation id."""
    response = client.post(
        "/sandbox/inbound", json={"from": sender, "to": to, "text": text, "type": kind}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["conversation_id"]


def conversation_id(app, extension_number: str, participants: str, channel: str) -> int:
    """Return the id of the demo conversation of an extension with ``participants``."""
    with app.app_context():
        return _db.session.scalars(
            select(Conversation.id)
            .join(Extension, Extension.id == Conversation.extension_id)
            .where(
                Extension.extension_number == extension_number,
                Conversation.participants == participants,
                Conversation.channel == channel,
            )
        ).one()


@pytest.fixture
def fake_sf() -> Iterator[FakeSalesforce]:
    """A fake Salesforce org where Jane Roe (+1 415 555 0123) is a Contact of Roe Logistics."""
    with FakeSalesforce() as fake:
        account = fake.add_account("Roe Logistics", phone="(415) 555-0100")
        fake.ids["jane"] = fake.add_contact(
            "Roe", "Jane", phone="(415) 555-0123", account_id=account
        )
        fake.ids["roe"] = account
        fake.ids["deal"] = fake.add_opportunity("Roe fleet renewal", account_id=account)
        yield fake
    close_pooled_http()
    assert fake.errors == [], f"fake Salesforce handler errors: {fake.errors!r}"


def configure_salesforce(app, fake: FakeSalesforce) -> None:
    """Point the app's Salesforce connected app at the fake (what the env vars set)."""
    app.config.update(
        SALESFORCE_CLIENT_ID=fake.client_id,
        SALESFORCE_CLIENT_SECRET=fake.client_secret,
        SALESFORCE_LOGIN_URL=fake.url,
        CRM_HTTP_TIMEOUT=2,
    )


def connect_salesforce(app, extension_number: str, fake: FakeSalesforce) -> None:
    """Connect the extension to the fake org as after a completed OAuth flow."""
    configure_salesforce(app, fake)
    with app.app_context():
        extension = _db.session.scalars(
            select(Extension).where(Extension.extension_number == extension_number)
        ).one()
        credentials = credentials_from_token(fake.issue_tokens())
        engine.connect(extension, "salesforce", credentials, {"name": fake.user_name})


HOSTILE = (
    '<script>alert("x")</script> **bold** _under_ [click](javascript:alert(1)) '
    "<img src=x onerror=alert(2)> `tick` # heading"
)


@pytest.fixture
def alice(demo_client):
    return sign_in(demo_client, "101")


def panel_url(cid: int, tail: str = "") -> str:
    return f"/widget/crm/conversations/{cid}/log{tail}"


def activity_count(app) -> int:
    with app.app_context():
        return _db.session.scalar(select(func.count(CrmActivity.id)))


def related_options(page) -> dict[str, str]:
    select_box = page.find("select", {"name": "field_relatedTo"})
    return {o["value"]: o.get_text() for o in select_box.find_all("option")}


def field_error(page, control_name: str) -> str | None:
    control = page.find(attrs={"name": control_name})
    box = control.find_parent("div", class_="manifest-field")
    error = box.find(class_="field-error")
    return error.get_text(strip=True) if error else None
