"""Resolve addresses (phone numbers, extension numbers) to names, and names to addresses.

Sources, first match wins: the company directory (extensions and their numbers, then
shared directory contacts), then the user's personal contacts. Lookups are batched: one
query per source for a whole page of rows.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select, union_all

from widget.extensions import db
from widget.models import Contact, ContactPhone, ContactSource, Extension, PhoneNumber


def _visible_contacts(extension: Extension):
    return or_(
        Contact.source == ContactSource.DIRECTORY,
        Contact.owner_extension_id == extension.id,
    )


def names_for(extension: Extension, addresses: Iterable[str]) -> dict[str, str]:
    """Return ``{address: name}`` for every address some visible contact matches."""
    wanted = {a for a in addresses if a}
    if not wanted:
        return {}
    names: dict[str, str] = {}
    account_id = extension.account_id
    # Extension numbers and the extensions' phone numbers never collide ("101" is not
    # "+1..."), so both lookups share one round trip.
    colleagues = union_all(
        select(Extension.extension_number, Extension.name).where(
            Extension.account_id == account_id, Extension.extension_number.in_(wanted)
        ),
        select(PhoneNumber.e164, Extension.name)
        .join(Extension, PhoneNumber.extension_id == Extension.id)
        .where(PhoneNumber.account_id == account_id, PhoneNumber.e164.in_(wanted)),
    )
    for address, name in db.session.execute(colleagues):
        names.setdefault(address, name)
    rows = db.session.execute(
        select(ContactPhone.e164, Contact)
        .join(Contact, ContactPhone.contact_id == Contact.id)
        .where(
            # "+ 0" keeps ix_contacts_account_owner out of this plan: without statistics
            # SQLite would otherwise walk every contact of the account and probe each for
            # the page's numbers; this way the phone index leads (a few rows per number).
            Contact.account_id + 0 == account_id,
            _visible_contacts(extension),
            ContactPhone.e164.in_(wanted),
        )
        .order_by(Contact.source)  # "directory" sorts before "personal"
    )
    for e164, contact in rows:
        names.setdefault(e164, contact.name)
    return names


def addresses_matching(extension: Extension, text: str, limit: int = 200) -> set[str]:
    """Return the addresses of directory entries and contacts whose name contains ``text``."""
    pattern = f"%{escape_like(text.strip())}%"
    found: set[str] = set()
    account_id = extension.account_id
    ext_rows = db.session.execute(
        select(Extension.extension_number, PhoneNumber.e164)
        .outerjoin(PhoneNumber, PhoneNumber.extension_id == Extension.id)
        .where(Extension.account_id == account_id, Extension.name.ilike(pattern, escape="\\"))
        .limit(limit)
    )
    for number, e164 in ext_rows:
        found.add(number)
        if e164:
            found.add(e164)
    full_name = Contact.first_name + " " + Contact.last_name
    contact_rows = db.session.scalars(
        select(ContactPhone.e164)
        .join(Contact, ContactPhone.contact_id == Contact.id)
        .where(
            Contact.account_id == account_id,
            _visible_contacts(extension),
            or_(
                full_name.ilike(pattern, escape="\\"),
                Contact.company.ilike(pattern, escape="\\"),
            ),
        )
        .limit(limit)
    )
    found.update(contact_rows)
    return found


def escape_like(text: str) -> str:
    """Escape LIKE wildcards so user text matches literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
