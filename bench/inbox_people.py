"""The people of the benchmark mailbox: the demo account, colleagues, customers, contacts.

Rows go in with SQLAlchemy Core ``insert()`` executemany (``insert_rows``); only the
demo's own handful of people go through the ORM (``seed_people``).
"""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import func, insert, select

from widget.extensions import db
from widget.models import Contact, ContactPhone, ContactSource, Extension, PhoneNumber
from widget.platforms.sandbox.seed import seed_people

TARGET_EXTENSION = "101"
OTHER_EXTENSIONS = ("102", "103", "104", "105")
BATCH = 5000
COLLEAGUES = 40  # extra extensions (201..240): pager partners and a realistic directory
AREA_CODES = [
    "201", "202", "206", "212", "213", "214", "303", "305", "312", "404", "415", "503",
    "512", "602", "612", "617", "646", "650", "702", "704", "713", "718", "773", "804",
    "808", "816", "858", "917", "919", "971",
]  # fmt: skip
FIRST_NAMES = [
    "Ava", "Ben", "Chloe", "Diego", "Elena", "Farah", "Gus", "Hana", "Ivan", "Jade", "Kofi",
    "Lena", "Mateo", "Nora", "Omar", "Pia", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Vik",
]  # fmt: skip
LAST_NAMES = [
    "Abbott", "Baker", "Castro", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito",
    "Jensen", "Kim", "Lopez", "Moreau", "Novak", "Olsen", "Park", "Reyes", "Silva", "Tanaka",
]  # fmt: skip
COMPANIES = ["Harbor Freight Co", "Northwind", "Blue Fern Dental", "Kestrel Legal", "Acme Corp"]


def insert_rows(table, rows: list[dict]) -> None:
    """Core executemany in batches: no ORM unit of work, no per-row round trip on SQLite."""
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(table), rows[start : start + BATCH])


def fictional_numbers(rng: random.Random) -> list[str]:
    """Fictional North American numbers (the 555-01xx range), shuffled."""
    found = [f"+1{area}55501{line:02d}" for area in AREA_CODES for line in range(100)]
    rng.shuffle(found)
    return found


def seed_people_and_contacts(
    rng: random.Random, now: datetime, customers: list[str]
) -> tuple[dict[str, Extension], int]:
    """Create the demo people plus colleagues and contacts; return extensions by number."""
    account = seed_people()
    insert_rows(
        Extension.__table__,
        [
            {
                "account_id": account.id,
                "platform_extension_id": f"sandbox-{200 + offset}",
                "extension_number": str(200 + offset),
                "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "timezone": "America/New_York",
                "is_admin": False,
                "created_at": now,
            }
            for offset in range(1, COLLEAGUES + 1)
        ],
    )
    extensions = {
        e.extension_number: e
        for e in db.session.scalars(select(Extension).where(Extension.account_id == account.id))
    }
    insert_rows(
        PhoneNumber.__table__,
        [
            {
                "account_id": account.id,
                "extension_id": extensions[str(200 + offset)].id,
                "e164": f"+1650555{1000 + offset}",
                "usage_type": "DirectNumber",
                "sms_enabled": True,
                "fax_enabled": True,
            }
            for offset in range(1, COLLEAGUES + 1)
        ],
    )
    contacts = _contacts(rng, now, account.id, extensions, customers)
    db.session.commit()
    return extensions, contacts


def _contacts(rng, now, account_id: int, extensions: dict[str, Extension], customers) -> int:
    """Directory contacts for a quarter of the customers, the target's own for some more.

    Other users' personal contacts reuse the target's customers under other names, so
    a lookup that forgets the owner filter shows wrong names.
    """
    contact_rows, phone_rows = [], []
    next_id = (db.session.scalar(select(func.max(Contact.id))) or 0) + 1

    def add(number: str, source: ContactSource, owner: Extension | None) -> None:
        nonlocal next_id
        named = rng.random() < 0.9
        contact_rows.append(
            {
                "id": next_id,
                "account_id": account_id,
                "owner_extension_id": owner.id if owner else None,
                "source": source,
                "first_name": rng.choice(FIRST_NAMES) if named else "",
                "last_name": rng.choice(LAST_NAMES) if named else "",
                "company": rng.choice(COMPANIES) if rng.random() < 0.5 else None,
                "email": None,
                "created_at": now,
            }
        )
        phone_rows.append({"contact_id": next_id, "e164": number, "label": "mobile"})
        next_id += 1

    others = [extensions[n] for n in OTHER_EXTENSIONS]
    for number in customers:
        roll = rng.random()
        if roll < 0.25:
            add(number, ContactSource.DIRECTORY, None)
        elif roll < 0.40:
            add(number, ContactSource.PERSONAL, extensions[TARGET_EXTENSION])
        if rng.random() < 0.2:
            add(number, ContactSource.PERSONAL, rng.choice(others))
    insert_rows(Contact.__table__, contact_rows)
    insert_rows(ContactPhone.__table__, phone_rows)
    return len(contact_rows)
