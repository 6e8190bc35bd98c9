"""The sandbox's people: its sign-in (choose a demo extension) and their provisioning.

The sandbox's account, extensions, numbers and directory live in Sidetalk's own tables
(seeded by ``seed``), so provisioning reads them back in the shape RingCentral's
extension, phone-number and directory endpoints give.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from widget.errors import Invalid
from widget.extensions import db
from widget.inputs import parse_id
from widget.models import Account, Contact, ContactSource, Extension, PhoneNumber
from widget.platforms.base import DirectoryEntry, ProvisionedNumber, Provisioning, SignInStart

PLATFORM = "sandbox"


def sign_in_choices() -> SignInStart:
    """Return the chooser: every sandbox extension, by extension number."""
    extensions = db.session.scalars(
        select(Extension)
        .join(Account)
        .where(Account.platform == PLATFORM, Extension.people())
        .order_by(Extension.extension_number)
    )
    return SignInStart(choices=tuple(extensions))


def chosen_extension(params: Mapping[str, str]) -> Extension:
    """Return the extension the chooser's form names; ``Invalid`` for anything else."""
    extension_id = parse_id(params.get("extension_id", ""))
    if extension_id is None:
        raise Invalid("Choose one of the listed extensions.", "extension_id")
    extension = db.session.get(Extension, extension_id)
    if extension is None or extension.account.platform != PLATFORM or extension.is_queue_mailbox:
        raise Invalid("Choose one of the listed extensions.", "extension_id")
    return extension


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.partition(" ")
    return first, last


def _directory(account: Account) -> tuple[DirectoryEntry, ...]:
    numbers: dict[int, list[str]] = {}
    for number in db.session.scalars(
        select(PhoneNumber)
        .where(PhoneNumber.account_id == account.id, PhoneNumber.extension_id.is_not(None))
        .order_by(PhoneNumber.id)
    ):
        numbers.setdefault(number.extension_id, []).append(number.e164)
    users = [
        DirectoryEntry(
            *_split_name(ext.name),
            company=account.name,
            phone_numbers=tuple(numbers.get(ext.id, ())),
            extension_number=ext.extension_number,
        )
        for ext in sorted(account.extensions, key=lambda e: e.extension_number)
        if not ext.is_queue_mailbox
    ]
    contacts = db.session.scalars(
        select(Contact)
        .where(Contact.account_id == account.id, Contact.source == ContactSource.DIRECTORY)
        .order_by(Contact.id)
    )
    external = [
        DirectoryEntry(c.first_name, c.last_name, c.company, tuple(p.e164 for p in c.phones))
        for c in contacts
    ]
    return tuple(users + external)


def provisioning(extension: Extension) -> Provisioning:
    """Return ``extension``'s account, its own numbers and the company directory."""
    account = extension.account
    return Provisioning(
        platform_account_id=account.platform_account_id,
        account_name=account.name,
        main_number=account.main_number,
        platform_extension_id=extension.platform_extension_id,
        extension_number=extension.extension_number,
        name=extension.name,
        email=extension.email,
        timezone=extension.timezone,
        is_admin=extension.is_admin,
        phone_numbers=tuple(
            ProvisionedNumber(n.e164, n.usage_type, n.sms_enabled, n.fax_enabled)
            for n in extension.phone_numbers
        ),
        directory=_directory(account),
    )
