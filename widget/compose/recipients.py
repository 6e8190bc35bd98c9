"""Recipients: what a user typed or picked, as addresses; and the picker's search.

An address is an E.164 number (texted) or an extension number of the account (paged).
The picker asks a list of sources in order (company directory, directory contacts,
personal contacts, then the CRM when a connector is configured); the first source that
names an address wins, so a number never appears twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import or_, select

from connectors import CrmError
from connectors.registry import get_connector
from widget.access import personal_to
from widget.contacts.service import escape_like, names_for
from widget.crm_logging.connections import connection_for, connector_session
from widget.errors import DomainError, Invalid, Rejected
from widget.extensions import db
from widget.models import Contact, ContactPhone, ContactSource, Extension, PhoneNumber
from widget.phone import display, to_e164

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 20
MAX_QUERY_LENGTH = 100
# app.extensions key under which the CRM capability may register ``fn(extension)`` returning
# the user's connectors.CrmSession (or None when they have not connected the CRM).
CRM_SESSION_PROVIDER = "sidetalk.crm_session"
_EXTENSION_PREFIX = re.compile(r"^(ext\.?|extension|x)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Recipient:
    raw: str
    address: str | None = None  # E.164 for SMS, extension number for Pager
    label: str = ""
    error: str | None = None

    @property
    def is_pager(self) -> bool:
        return bool(self.address) and not self.address.startswith("+")


@dataclass(frozen=True)
class Candidate:
    address: str
    name: str
    detail: str
    source: str

    @property
    def is_pager(self) -> bool:
        return not self.address.startswith("+")


def _extension_by_number(extension: Extension, number: str) -> Extension | None:
    return db.session.scalar(
        select(Extension).where(
            Extension.account_id == extension.account_id,
            Extension.extension_number == number,
            Extension.people(),
        )
    )


def parse_recipient(extension: Extension, raw: str, region: str) -> Recipient:
    """Return ``raw`` as a recipient address, or with ``error`` saying what is wrong."""
    text = (raw or "").strip()
    if not text:
        return Recipient(raw=raw, error="Enter a name or number.")
    short = _EXTENSION_PREFIX.sub("", text)
    if short.isdigit() and len(short) <= 6:
        target = _extension_by_number(extension, short)
        if target is not None:
            if target.id == extension.id:
                return Recipient(raw=raw, error="That is your own extension.")
            return Recipient(raw=raw, address=short, label=f"{target.name} (Ext. {short})")
        if short != text or len(short) <= 5:
            return Recipient(raw=raw, error=f"There is no extension {short}.")
    try:
        number = to_e164(text, region, field="to")
    except DomainError as exc:
        return Recipient(raw=raw, error=exc.message)
    if number in {n.e164 for n in extension.phone_numbers}:
        return Recipient(raw=raw, error="That is one of your own numbers.")
    return Recipient(raw=raw, address=number)


def parse_recipients(extension: Extension, raws: Iterable[str], region: str) -> list[Recipient]:
    """Parse every entry; duplicates of an address are dropped, names filled in batch."""
    parsed: list[Recipient] = []
    seen: set[str] = set()
    for raw in raws:
        if not (raw or "").strip():
            continue
        recipient = parse_recipient(extension, raw, region)
        if recipient.address in seen:
            continue
        if recipient.address:
            seen.add(recipient.address)
        parsed.append(recipient)
    if len([r for r in parsed if r.address]) > MAX_RECIPIENTS:
        raise Rejected(f"Send to at most {MAX_RECIPIENTS} recipients at once.", "to")
    names = names_for(extension, seen)
    return [
        r
        if r.error or r.label
        else Recipient(
            raw=r.raw, address=r.address, label=names.get(r.address) or display(r.address, region)
        )
        for r in parsed
    ]


# -- picker sources ------------------------------------------------------------------------

RecipientSource = Callable[[Extension, str, int], list[Candidate]]


def _digits(query: str) -> str:
    return "".join(ch for ch in query if ch.isdigit())


def company_directory(extension: Extension, query: str, limit: int) -> list[Candidate]:
    """Colleagues: their extension number (pager) and their SMS numbers (text)."""
    pattern = f"%{escape_like(query)}%"
    digits = _digits(query)
    conditions = [Extension.name.ilike(pattern, escape="\\")]
    if digits:
        conditions.append(Extension.extension_number.startswith(digits))
        if len(digits) >= 3:
            conditions.append(
                Extension.id.in_(
                    select(PhoneNumber.extension_id).where(PhoneNumber.e164.contains(digits))
                )
            )
    colleagues = db.session.scalars(
        select(Extension)
        .where(
            Extension.account_id == extension.account_id,
            Extension.people(),
            Extension.id != extension.id,
            or_(*conditions),
        )
        .order_by(Extension.name)
        .limit(limit)
    )
    region = current_app.config["DEFAULT_REGION"]
    found = []
    for colleague in colleagues:
        found.append(
            Candidate(
                colleague.extension_number,
                colleague.name,
                f"Ext. {colleague.extension_number} · pager",
                "Company",
            )
        )
        for number in colleague.sms_numbers:
            found.append(
                Candidate(number.e164, colleague.name, display(number.e164, region), "Company")
            )
    return found


def _contacts(extension: Extension, query: str, limit: int, personal: bool) -> list[Candidate]:
    pattern = f"%{escape_like(query)}%"
    full_name = Contact.first_name + " " + Contact.last_name
    conditions = [
        full_name.ilike(pattern, escape="\\"),
        Contact.company.ilike(pattern, escape="\\"),
    ]
    digits = _digits(query)
    if len(digits) >= 3:
        conditions.append(ContactPhone.e164.contains(digits))
    visibility = (
        personal_to(extension, Contact.owner_extension_id)
        if personal
        else Contact.source == ContactSource.DIRECTORY
    )
    rows = db.session.execute(
        select(Contact, ContactPhone)
        .join(ContactPhone, ContactPhone.contact_id == Contact.id)
        .where(Contact.account_id == extension.account_id, visibility, or_(*conditions))
        .order_by(Contact.first_name, Contact.last_name, Contact.id)
        .limit(limit)
    )
    region = current_app.config["DEFAULT_REGION"]
    source = "Personal" if personal else "Directory"
    return [
        Candidate(phone.e164, contact.name, display(phone.e164, region), source)
        for contact, phone in rows
    ]


def directory_contacts(extension: Extension, query: str, limit: int) -> list[Candidate]:
    return _contacts(extension, query, limit, personal=False)


def personal_contacts(extension: Extension, query: str, limit: int) -> list[Candidate]:
    return _contacts(extension, query, limit, personal=True)


def connected_crm(extension: Extension):
    """The user's CRM connector and session, or None when they cannot search it now.

    A provider registered under ``CRM_SESSION_PROVIDER`` wins; otherwise the user's own
    CRM connection (``widget.crm_logging``) is used.
    """
    provider = current_app.extensions.get(CRM_SESSION_PROVIDER)
    if provider is not None:
        return provider(extension)
    try:
        return connector_session(connection_for(extension))
    except (DomainError, CrmError):
        return None  # connector not installed, or the user must reconnect first


def crm_contacts(extension: Extension, query: str, limit: int) -> list[Candidate]:
    """Records of the user's CRM: by number when ``query`` is one (``find_contact``), else
    by name (``search_contacts``, empty for connectors that cannot search names)."""
    connected = connected_crm(extension)
    if connected is None:
        return []
    connector, session = connected
    region = current_app.config["DEFAULT_REGION"]
    number = None
    if len(_digits(query)) >= 7:
        typed = parse_recipient(extension, query, region)
        number = typed.address if typed.address and not typed.is_pager else None
    try:
        if number:
            records = connector.find_contact(session, number)
        else:
            records = connector.search_contacts(session, query)
    except CrmError as exc:
        log.warning("CRM contact search failed: %s", exc)
        return []
    found = []
    for record in records[:limit]:
        phone = _crm_address(extension, record.phone, number, region)
        if phone:
            found.append(
                Candidate(phone, record.name, f"{display(phone, region)} · {record.type}", "CRM")
            )
    return found


def _crm_address(
    extension: Extension, stored: str | None, searched: str | None, region: str
) -> str | None:
    """Return the E.164 number of a CRM record: its own when the CRM stores E.164, the
    searched number for a phone match, else its stored number parsed (None if unusable)."""
    if (stored or "").startswith("+"):
        return stored
    if searched or not stored:
        return searched
    typed = parse_recipient(extension, stored, region)
    return typed.address if typed.address and not typed.is_pager else None


def crm_configured() -> bool:
    """True when the configured CRM connector (``DEFAULT_CRM``) is installed."""
    try:
        get_connector(current_app.config.get("DEFAULT_CRM") or "")
    except KeyError:
        return False
    return True


def recipient_sources() -> list[RecipientSource]:
    sources: list[RecipientSource] = [company_directory, directory_contacts, personal_contacts]
    if crm_configured():
        sources.append(crm_contacts)
    return sources


def search(extension: Extension, query: str, limit: int = 12) -> list[Candidate]:
    """Return up to ``limit`` candidates for ``query``; a typed number nobody has comes first."""
    query = query.strip()
    if len(query) > MAX_QUERY_LENGTH:
        raise Invalid(f"Search text is limited to {MAX_QUERY_LENGTH} characters.", "q")
    if not query:
        return []
    unique: dict[str, Candidate] = {}
    for source in recipient_sources():
        for candidate in source(extension, query, limit):
            unique.setdefault(candidate.address, candidate)
    found = list(unique.values())
    if len(_digits(query)) >= 7:
        region = current_app.config["DEFAULT_REGION"]
        typed = parse_recipient(extension, query, region)
        if typed.address and not typed.is_pager and typed.address not in unique:
            shown = display(typed.address, region)
            found.insert(0, Candidate(typed.address, shown, "Text this number", "Number"))
    return found[:limit]
