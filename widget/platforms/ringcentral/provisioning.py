"""Who signed in: RingCentral's extension, numbers, directory and address book, kept locally.

Read with the user's access token right after sign-in (and again at every sign-in, so
changed numbers or colleagues follow): ``GET /account/~/extension/~``,
``.../extension/~/phone-number``, ``GET /account/~/directory/entries`` and
``.../extension/~/address-book/contact``, the two lists paged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy import delete, select

from widget.errors import DomainError
from widget.extensions import db
from widget.models import Account, Contact, ContactPhone, ContactSource, Extension, PhoneNumber
from widget.phone import to_e164
from widget.platforms.base import DirectoryEntry, ProvisionedNumber, Provisioning
from widget.platforms.ringcentral.client import API, MINE

PLATFORM = "ringcentral"
PER_PAGE = 100
MAX_PAGES = 50  # 5,000 people: a safety stop, not a limit anyone reaches by design

Get = Callable[[str, dict | None], dict]


def _pages(get: Get, path: str) -> Iterator[dict]:
    for page in range(1, MAX_PAGES + 1):
        body = get(path, {"page": page, "perPage": PER_PAGE})
        yield from body.get("records") or []
        paging = body.get("paging") or {}
        if page >= int(paging.get("totalPages") or 1):
            return


def _e164(raw: object) -> str | None:
    try:
        return to_e164(str(raw)) if raw else None
    except DomainError:
        return None


def fetch(get: Get) -> tuple[Provisioning, list[dict]]:
    """Return what RingCentral says of the signed-in user, and their personal contacts."""
    me = get(MINE, None)
    account = get(f"{API}/account/~", None)
    contact = me.get("contact") or {}
    numbers = tuple(
        ProvisionedNumber(
            e164=e164,
            usage_type=str(n.get("usageType") or ""),
            sms_enabled="SmsSender" in (n.get("features") or []),
            fax_enabled="FaxSender" in (n.get("features") or []),
        )
        for n in _pages(get, f"{MINE}/phone-number")
        if (e164 := _e164(n.get("phoneNumber"))) and n.get("usageType") != "MainCompanyNumber"
    )
    directory = tuple(
        DirectoryEntry(
            first_name=str(e.get("firstName") or ""),
            last_name=str(e.get("lastName") or ""),
            company=(e.get("account") or {}).get("companyName"),
            phone_numbers=tuple(
                p for n in e.get("phoneNumbers") or [] if (p := _e164(n.get("phoneNumber")))
            ),
            extension_number=e.get("extensionNumber"),
        )
        for e in _pages(get, f"{API}/account/~/directory/entries")
    )
    personal = list(_pages(get, f"{MINE}/address-book/contact"))
    timezone = ((me.get("regionalSettings") or {}).get("timezone") or {}).get("name") or "UTC"
    provisioning = Provisioning(
        platform_account_id=str((me.get("account") or {}).get("id") or account.get("id")),
        account_name=str(contact.get("company") or f"RingCentral account {account.get('id')}"),
        main_number=_e164(account.get("mainNumber")),
        platform_extension_id=str(me["id"]),
        extension_number=str(me.get("extensionNumber") or ""),
        name=str(
            me.get("name")
            or " ".join(filter(None, (contact.get("firstName"), contact.get("lastName"))))
        ),
        email=contact.get("email"),
        timezone=str(timezone),
        is_admin=bool(((me.get("permissions") or {}).get("admin") or {}).get("enabled")),
        phone_numbers=numbers,
        directory=directory,
    )
    return provisioning, personal


def store(provisioning: Provisioning, personal: list[dict]) -> Extension:
    """Create or update the account, extension, numbers and contacts; the caller commits."""
    p = provisioning
    account = db.session.scalar(
        select(Account).where(
            Account.platform == PLATFORM, Account.platform_account_id == p.platform_account_id
        )
    )
    if account is None:
        account = Account(platform=PLATFORM, platform_account_id=p.platform_account_id, name="")
        db.session.add(account)
    account.name, account.main_number = p.account_name[:200], p.main_number
    db.session.flush()
    extension = db.session.scalar(
        select(Extension).where(
            Extension.account_id == account.id,
            Extension.platform_extension_id == p.platform_extension_id,
        )
    )
    if extension is None:
        extension = Extension(account_id=account.id, platform_extension_id=p.platform_extension_id)
        db.session.add(extension)
    extension.extension_number = p.extension_number
    extension.name = p.name[:200]
    extension.email = p.email
    extension.timezone = p.timezone
    extension.is_admin = p.is_admin
    db.session.flush()
    _store_numbers(account, extension, p.phone_numbers)
    _store_directory(account, p.directory)
    _store_personal(account, extension, personal)
    return extension


def _store_numbers(account: Account, extension: Extension, numbers) -> None:
    existing = {
        n.e164: n
        for n in db.session.scalars(select(PhoneNumber).where(PhoneNumber.account_id == account.id))
    }
    mine = {n.e164 for n in numbers}
    for number in numbers:
        row = existing.get(number.e164) or PhoneNumber(account_id=account.id, e164=number.e164)
        row.extension_id = extension.id
        row.usage_type = number.usage_type or "DirectNumber"
        row.sms_enabled = number.sms_enabled
        row.fax_enabled = number.fax_enabled
        db.session.add(row)
    for e164, row in existing.items():
        if row.extension_id == extension.id and e164 not in mine:
            row.extension_id = None  # moved to someone else, or removed in RingCentral


def _replace_contacts(account: Account, source: ContactSource, owner_id: int | None, people):
    owner_rule = (
        Contact.owner_extension_id.is_(None)
        if owner_id is None
        else Contact.owner_extension_id == owner_id
    )
    db.session.execute(
        delete(Contact).where(
            Contact.account_id == account.id, Contact.source == source, owner_rule
        )
    )
    for first, last, company, email, phones in people:
        contact = Contact(
            account_id=account.id,
            owner_extension_id=owner_id,
            source=source,
            first_name=first[:100],
            last_name=last[:100],
            company=company,
            email=email,
        )
        unique = {e164: label for label, e164 in phones}
        contact.phones = [ContactPhone(e164=e164, label=label) for e164, label in unique.items()]
        db.session.add(contact)


def _store_directory(account: Account, directory) -> None:
    # Colleagues too: most of them never sign in to Sidetalk, yet their names should
    # replace their numbers everywhere.
    people = [
        (e.first_name, e.last_name, e.company, None, [("work", p) for p in e.phone_numbers])
        for e in directory
    ]
    _replace_contacts(account, ContactSource.DIRECTORY, None, people)


PHONE_FIELDS = ("mobilePhone", "businessPhone", "homePhone", "companyPhone", "otherPhone")


def _store_personal(account: Account, extension: Extension, personal: list[dict]) -> None:
    people = []
    for raw in personal:
        phones = {}
        for field in PHONE_FIELDS:
            e164 = _e164(raw.get(field))
            if e164 and e164 not in phones.values():
                phones[field.removesuffix("Phone")] = e164
        if phones:
            people.append(
                (
                    str(raw.get("firstName") or ""),
                    str(raw.get("lastName") or ""),
                    raw.get("company"),
                    raw.get("email"),
                    phones.items(),
                )
            )
    _replace_contacts(account, ContactSource.PERSONAL, extension.id, people)
