"""A small mailbox built by hand, and the demo's people: fixtures and helpers for the
inbox, app and sandbox tests (registered for every test by the root ``conftest.py``).

``mailbox`` is an account with two extensions on an empty database, for tests that
control every message and time; ``demo_db`` is the seeded demo (its own copy) opened
in an application context, for tests that look at what a newcomer sees.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from widget import create_app
from widget.config import TestConfig
from widget.extensions import db as _db
from widget.inbox.ingest import ingest_record
from widget.models import (
    Account,
    Attachment,
    Contact,
    ContactPhone,
    ContactSource,
    Conversation,
    Extension,
    Message,
    PhoneNumber,
)

ALICE_NUMBER = "+16505550101"
BOB_NUMBER = "+16505550102"
JANE = "+14155550123"  # directory contact "Jane Roe"
MARCO = "+15035550177"  # Alice's personal contact "Marco Rossi"


@dataclass
class Mailbox:
    account: Account
    alice: Extension
    bob: Extension


def build_mailbox(platform: str = "sandbox") -> Mailbox:
    """Create an account with Alice (101) and Bob (102), a directory and a personal contact."""
    account = Account(platform=platform, platform_account_id="acct-1", name="Test Co")
    _db.session.add(account)
    _db.session.flush()
    alice = Extension(
        account=account,
        platform_extension_id="ext-101",
        extension_number="101",
        name="Alice Chen",
        timezone="America/New_York",
    )
    bob = Extension(
        account=account,
        platform_extension_id="ext-102",
        extension_number="102",
        name="Bob Martinez",
        timezone="America/Chicago",
    )
    _db.session.add_all([alice, bob])
    _db.session.flush()
    _db.session.add_all(
        [
            PhoneNumber(account_id=account.id, extension_id=alice.id, e164=ALICE_NUMBER),
            PhoneNumber(account_id=account.id, extension_id=bob.id, e164=BOB_NUMBER),
        ]
    )
    jane = Contact(
        account_id=account.id, source=ContactSource.DIRECTORY, first_name="Jane", last_name="Roe"
    )
    jane.phones.append(ContactPhone(e164=JANE))
    marco = Contact(
        account_id=account.id,
        source=ContactSource.PERSONAL,
        owner_extension_id=alice.id,
        first_name="Marco",
        last_name="Rossi",
    )
    marco.phones.append(ContactPhone(e164=MARCO))
    _db.session.add_all([jane, marco])
    _db.session.commit()
    return Mailbox(account=account, alice=alice, bob=bob)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db_mailbox(request):
    """Alice and Bob on SQLite, then on PostgreSQL (where LIKE escapes, IN lists and
    query plans differ)."""
    if request.param == "sqlite":
        app = request.getfixturevalue("app")
    else:
        app = request.getfixturevalue("pg_app")
    with app.app_context():
        yield build_mailbox()


@pytest.fixture
def mailbox(db) -> Mailbox:
    """Alice and Bob on an empty database, inside an application context."""
    return build_mailbox()


@pytest.fixture
def demo_db(demo_app):
    """The seeded demo's database, inside an application context."""
    with demo_app.app_context():
        yield _db


def demo_extension(number: str) -> Extension:
    return _db.session.scalars(select(Extension).where(Extension.extension_number == number)).one()


def fetch(client, url: str, **kwargs):
    """GET ``url`` and read the whole body, closing the file a ``send_file`` response holds."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def make_test_app(database_url: str, root: Path):
    """A TestConfig application on ``database_url`` with its instance and media in ``root``."""
    os.environ["SIDETALK_INSTANCE_PATH"] = str(root / "instance")
    try:
        return create_app(TestConfig(database_url, str(root / "media")))
    finally:
        os.environ.pop("SIDETALK_INSTANCE_PATH", None)


def row_counts() -> tuple[int, int, int]:
    """How many messages, conversations and attachments exist: "nothing written" checks."""
    return (
        _db.session.scalar(select(func.count()).select_from(Message)),
        _db.session.scalar(select(func.count()).select_from(Conversation)),
        _db.session.scalar(select(func.count()).select_from(Attachment)),
    )


def ingest_and_commit(extension, record, content=None):
    """Ingest one record as a RingCentral webhook would, then commit."""
    result = ingest_record(extension, record, "ringcentral", content)
    _db.session.commit()
    return result
