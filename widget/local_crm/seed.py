"""Demo data of the local CRM: records whose numbers match the sandbox's contacts.

- Jane Roe (+14155550123): a Contact of "Roe Logistics", which has two open
  opportunities (and a closed one that is never offered as "Related to");
- Sam Okafor (+12125550187): a Contact of "Okafor Dental";
- +13125550144 matches TWO records, the Contact "Priya Shah" and the Lead "P. Shah",
  to show conflicts (the dates make each conflict policy pick deterministically);
- Acme Corp (+16175550199): an Account with one opportunity;
- Oliver Brooks, the personal contacts and the unknown numbers match nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from widget.extensions import db
from widget.local_crm.models import (
    LocalCrmAccount,
    LocalCrmContact,
    LocalCrmLead,
    LocalCrmOpportunity,
)
from widget.models import Account
from widget.models.types import utcnow


def seed_local_crm(account: Account, now: datetime | None = None) -> bool:
    """Fill the account's local CRM once; return True when it created records."""
    exists = db.session.scalar(
        select(LocalCrmAccount.id).where(LocalCrmAccount.account_id == account.id).limit(1)
    )
    if exists is not None:
        return False
    now = now or utcnow()
    long_ago = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)

    def company(name: str, phone: str | None = None, created: datetime = long_ago):
        row = LocalCrmAccount(
            account_id=account.id, name=name, phone_e164=phone, created_at=created, updated_at=now
        )
        db.session.add(row)
        db.session.flush()
        return row

    def deal(crm_account: LocalCrmAccount, name: str, stage: str, closed: bool = False) -> None:
        db.session.add(
            LocalCrmOpportunity(
                account_id=account.id,
                crm_account_id=crm_account.id,
                name=name,
                stage=stage,
                is_closed=closed,
            )
        )

    roe = company("Roe Logistics")
    deal(roe, "Fleet tracking renewal 2026", "Negotiation")
    deal(roe, "Warehouse SMS pilot", "Prospecting")
    deal(roe, "2024 onboarding", "Closed Won", closed=True)
    okafor = company("Okafor Dental")
    shah = company("Shah & Co")
    acme = company("Acme Corp", "+16175550199", created=datetime(2023, 11, 20, 9, 0, tzinfo=UTC))
    deal(acme, "Acme support plan", "Proposal")
    people = [
        ("Jane", "Roe", "+14155550123", roe, long_ago, now - timedelta(days=3)),
        ("Sam", "Okafor", "+12125550187", okafor, long_ago, now - timedelta(days=20)),
        ("Priya", "Shah", "+13125550144", shah, long_ago, now - timedelta(days=1)),
    ]
    for first, last, phone, crm_account, created, updated in people:
        db.session.add(
            LocalCrmContact(
                account_id=account.id,
                first_name=first,
                last_name=last,
                phone_e164=phone,
                crm_account_id=crm_account.id,
                created_at=created,
                updated_at=updated,
            )
        )
    db.session.add(
        LocalCrmLead(
            account_id=account.id,
            first_name="P.",
            last_name="Shah",
            company="Shah & Co",
            phone_e164="+13125550144",
            created_at=now - timedelta(days=10),
            updated_at=now - timedelta(days=5),
        )
    )
    db.session.commit()
    return True
