"""Fixtures for the CRM logging engine: a small account, real ingestion, the fake Salesforce.

``world`` is an account on an empty database with Alice (101, America/New_York), Erin
(105, Asia/Tokyo) and Zed of another company, the demo's directory contacts and the
local CRM's demo records. Messages arrive through the real ingestion path (``deliver``),
so auto-log sees them exactly as it sees live traffic. ``drain`` runs the Huey tasks
that were scheduled for later (coalesced writes, retries), travelling to each one's time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from connectors.http import close_pooled_http
from connectors.salesforce.oauth import credentials_from_token
from fakes.salesforce import FakeSalesforce
from widget.crm_logging import engine, matching
from widget.extensions import db as _db
from widget.inbox.events import handle_instant_event
from widget.jobs import huey
from widget.local_crm.seed import seed_local_crm
from widget.models import (
    Account,
    Contact,
    ContactPhone,
    ContactSource,
    Extension,
    Message,
    MessageType,
    PhoneNumber,
)
from widget.platforms.sandbox.delivery import build_record, instant_event  # noqa: E402
from widget.platforms.sandbox.messages import MediaPart  # noqa: E402

ALICE_NUMBER = "+16505550101"
ERIN_NUMBER = "+16505550105"
ZED_NUMBER = "+16505550901"
JANE = "+14155550123"  # local CRM: Contact of Roe Logistics (two open opportunities)
SAM = "+12125550187"  # local CRM: Contact of Okafor Dental
PRIYA = "+13125550144"  # local CRM: Contact "Priya Shah" AND Lead "P. Shah"
ACME = "+16175550199"  # local CRM: an Account
OLIVER = "+442079460123"  # matches no CRM record

# A Tuesday in November: no DST change near it in New York or Tokyo.
DAY = datetime(2026, 11, 17, tzinfo=UTC)
NOON_UTC = DAY.replace(hour=17)  # 12:00 in New York, 02:00 next day in Tokyo


@dataclass
class World:
    account: Account
    alice: Extension
    erin: Extension
    other_account: Account
    zed: Extension


def _extension(account, number, name, tz, phone) -> Extension:
    extension = Extension(
        account=account,
        platform_extension_id=f"sandbox-{account.id}-{number}",
        extension_number=number,
        name=name,
        timezone=tz,
    )
    _db.session.add(extension)
    _db.session.flush()
    _db.session.add(PhoneNumber(account_id=account.id, extension_id=extension.id, e164=phone))
    return extension


def build_world() -> World:
    account = Account(platform="sandbox", platform_account_id="acct-crm", name="Test Co")
    other = Account(platform="sandbox", platform_account_id="acct-other", name="Other Co")
    _db.session.add_all([account, other])
    _db.session.flush()
    alice = _extension(account, "101", "Alice Chen", "America/New_York", ALICE_NUMBER)
    erin = _extension(account, "105", "Erin Walsh", "Asia/Tokyo", ERIN_NUMBER)
    zed = _extension(other, "201", "Zed Other", "UTC", ZED_NUMBER)
    for first, last, company, e164 in [
        ("Jane", "Roe", "Roe Logistics", JANE),
        ("Sam", "Okafor", "Okafor Dental", SAM),
    ]:
        contact = Contact(
            account_id=account.id,
            source=ContactSource.DIRECTORY,
            first_name=first,
            last_name=last,
            company=company,
        )
        contact.phones.append(ContactPhone(e164=e164))
        _db.session.add(contact)
    _db.session.commit()
    seed_local_crm(account, now=DAY - timedelta(days=1))
    seed_local_crm(other, now=DAY - timedelta(days=1))
    return World(account, alice, erin, other, zed)


@pytest.fixture(autouse=True)
def _clean_jobs_and_cache() -> Iterator[None]:
    """Huey's in-memory queue and the match cache are process-wide: start each test empty."""
    huey.flush()
    matching.clear()
    yield
    huey.flush()
    matching.clear()


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """The clock at 11:30 New York time on DAY (ticking), so DAY's messages are new."""
    with time_machine.travel(DAY.replace(hour=16, minute=30), tick=True) as traveller:
        yield traveller


@pytest.fixture
def world(app) -> Iterator[World]:
    with app.app_context():
        yield build_world()


def deliver(
    owner: Extension,
    other: str | list[str],
    text: str,
    at: datetime,
    direction: str = "Inbound",
    message_type: MessageType = MessageType.SMS,
    parts: tuple[MediaPart, ...] = (),
    pages: int | None = None,
) -> Message:
    """Ingest one message into ``owner``'s mailbox through the real ingestion path."""
    own = {"phoneNumber": owner.phone_numbers[0].e164, "name": owner.name}
    others = [other] if isinstance(other, str) else list(other)
    if direction == "Inbound":
        sender = {"phoneNumber": others[0]}
        recipients = [own] + [{"phoneNumber": n} for n in others[1:]]
    else:
        sender, recipients = own, [{"phoneNumber": n} for n in others]
    record, content = build_record(
        owner, message_type, direction, sender, recipients, text, at, list(parts), pages
    )
    return handle_instant_event("sandbox", instant_event(owner, record), content).message


def drain(limit: int = 50) -> int:
    """Run every scheduled Huey task, each at its own time (time travel); return how many."""
    ran = 0
    while ran < limit:
        scheduled = sorted(huey.scheduled(), key=lambda t: t.eta)
        if not scheduled:
            return ran
        task = scheduled[0]
        eta = task.eta.replace(tzinfo=UTC) + timedelta(milliseconds=1)
        now = datetime.now(UTC)
        with time_machine.travel(max(eta, now), tick=True):
            for due in huey.read_schedule(task.eta + timedelta(milliseconds=1)):
                huey.execute(due)
                ran += 1
    raise AssertionError(f"more than {limit} scheduled tasks: a retry loop?")


def run_due() -> list:
    """Run the scheduled Huey tasks that are due now (no time travel); return their results."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return [huey.execute(task) for task in huey.read_schedule(now)]


@pytest.fixture
def fake_sf() -> Iterator[FakeSalesforce]:
    with FakeSalesforce() as fake:
        yield fake
    close_pooled_http()
    assert fake.errors == [], f"fake Salesforce handler errors: {fake.errors!r}"


@pytest.fixture
def sf_app(app, fake_sf):
    """The app configured with the fake's connected-app client and a short HTTP timeout."""
    app.config.update(
        SALESFORCE_CLIENT_ID=fake_sf.client_id,
        SALESFORCE_CLIENT_SECRET=fake_sf.client_secret,
        SALESFORCE_LOGIN_URL=fake_sf.url,
        CRM_HTTP_TIMEOUT=2,
    )
    return app


def salesforce_world(app, fake: FakeSalesforce) -> tuple[World, str]:
    """In ``app``'s context: ``world`` with Alice connected to ``fake``, where Jane Roe
    (Roe Logistics) is a Contact; return the world and Jane's id. The app is pointed at
    the fake's connected app with a short HTTP timeout."""
    app.config.update(
        SALESFORCE_CLIENT_ID=fake.client_id,
        SALESFORCE_CLIENT_SECRET=fake.client_secret,
        SALESFORCE_LOGIN_URL=fake.url,
        CRM_HTTP_TIMEOUT=5,
    )
    world = build_world()
    account_id = fake.add_account("Roe Logistics")
    jane = fake.add_contact("Roe", "Jane", phone="(415) 555-0123", account_id=account_id)
    connect_salesforce(world.alice, fake)
    return world, jane


def connect_salesforce(extension: Extension, fake: FakeSalesforce):
    """Connect ``extension`` to the fake org as after a completed OAuth flow."""
    credentials = credentials_from_token(fake.issue_tokens())
    return engine.connect(extension, "salesforce", credentials, {"name": fake.user_name})


@pytest.fixture
def sf_world(sf_app, fake_sf) -> Iterator[tuple[World, dict[str, str]]]:
    """``world`` with Alice connected to the fake Salesforce, where Jane Roe is a Contact."""
    with sf_app.app_context():
        world = build_world()
        account_id = fake_sf.add_account("Roe Logistics", phone="(415) 555-0100")
        ids = {
            "account": account_id,
            "jane": fake_sf.add_contact(
                "Roe", "Jane", phone="(415) 555-0123", account_id=account_id
            ),
            "opportunity": fake_sf.add_opportunity("Fleet renewal", account_id),
        }
        connect_salesforce(world.alice, fake_sf)
        yield world, ids


def assert_moved_to(activity_id: int, record_id: str) -> None:
    """A moved activity is written under ``record_id``, remembers no other record, and
    every message it carries is logged under the new record."""
    from sqlalchemy import select

    from widget.models import CrmActivity, MessageLog

    _db.session.expire_all()
    moved = _db.session.get(CrmActivity, activity_id)
    assert (moved.record_id, moved.state, moved.moved_from_record_id) == (
        record_id,
        "written",
        None,
    )
    assert set(_db.session.scalars(select(MessageLog.record_id))) == {record_id}
    assert set(_db.session.scalars(select(MessageLog.state))) == {"logged"}


def without_re_parenting(monkeypatch) -> list[str]:
    """Make the local CRM unable to re-parent a log (as most CRMs are); return the list
    the ids of the logs it is then asked to delete are appended to."""
    from widget.local_crm.connector import LocalConnector

    monkeypatch.setattr(LocalConnector, "move_message_log", lambda *a: None)
    deleted: list[str] = []
    delete = LocalConnector.delete_message_log
    monkeypatch.setattr(
        LocalConnector,
        "delete_message_log",
        lambda self, session, log_id: deleted.append(log_id) or delete(self, session, log_id),
    )
    return deleted
