"""Resolve addresses (phone numbers, extension numbers) to names, and names to addresses.

Sources, first match wins: the company directory (extensions and their numbers, then
shared directory contacts), then the user's personal contacts. Lookups are batched: one
statement for every source and a whole page of rows.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

from sqlalchemy import (
    ColumnElement,
    String,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from widget.access import actor_params, personal_to
from widget.extensions import db
from widget.models import Contact, ContactPhone, ContactSource, Extension, PhoneNumber
from widget.models.contact import display_name
from widget.models.queries import dialect_name, one_of


def _visible_contacts(extension: Extension):
    return or_(
        Contact.source == ContactSource.DIRECTORY,
        personal_to(extension, Contact.owner_extension_id),
    )


def _phone_led(account_id_column, dialect: str):
    """The account filter of a lookup by phone number, written so the phone index leads.

    Without statistics SQLite would walk every contact of the account through
    ix_contacts_account_owner and probe each for the page's numbers; "+ 0" keeps that
    index out of its plan. PostgreSQL has statistics and needs no hint, and the hint
    would hurt there: an expression defeats its row estimate (a prepared statement's
    generic plan then loops over every contact).
    """
    return account_id_column if dialect == "postgresql" else account_id_column + 0


@functools.cache
def _names_lookup(dialect: str):
    """The one statement behind ``names_for``; parameters: ``names_params``.

    All sources share one round trip and no ORM entities are built; "rank" orders them
    by precedence.
    """
    lookup = _names_union(dialect).subquery()
    return select(lookup).order_by(lookup.c.rank)


def _names_union(dialect: str):
    """Every source's matches as (address, rank, first_name, last_name, company).
    Extension numbers and phone numbers never collide ("101" is not "+1..."), so those
    two share a rank."""
    account_id = bindparam("account_id")
    no_text = cast(null(), String)
    return union_all(
        select(
            Extension.extension_number.label("address"),
            literal(0).label("rank"),
            Extension.name.label("first_name"),
            no_text.label("last_name"),
            no_text.label("company"),
        ).where(
            Extension.account_id == account_id,
            one_of(Extension.extension_number, "addresses", dialect),
        ),
        select(PhoneNumber.e164, literal(0), Extension.name, no_text, no_text)
        .join(Extension, PhoneNumber.extension_id == Extension.id)
        .where(
            PhoneNumber.account_id == account_id,
            one_of(PhoneNumber.e164, "addresses", dialect),
        ),
        select(
            ContactPhone.e164,
            # "directory" contacts win over the user's "personal" ones.
            case((Contact.source == ContactSource.DIRECTORY, 1), else_=2),
            Contact.first_name,
            Contact.last_name,
            Contact.company,
        )
        .join(Contact, ContactPhone.contact_id == Contact.id)
        .where(
            _phone_led(Contact.account_id, dialect) == account_id,
            or_(
                Contact.source == ContactSource.DIRECTORY,
                personal_to(None, Contact.owner_extension_id),
            ),
            one_of(ContactPhone.e164, "addresses", dialect),
        ),
    )


def names_params(extension: Extension, addresses: Iterable[str]) -> dict:
    """The parameters of ``names_for``'s statement (and of ``names_json``)."""
    wanted = sorted({a for a in addresses if a})
    return {"account_id": extension.account_id, **actor_params(extension), "addresses": wanted}


def names_for(extension: Extension, addresses: Iterable[str]) -> dict[str, str]:
    """Return ``{address: name}`` for every address some visible contact matches."""
    params = names_params(extension, addresses)
    if not params["addresses"]:
        return {}
    # Columns only, no objects: the session's connection runs it without the ORM layer.
    rows = db.session.connection().execute(_names_lookup(dialect_name()), params)
    return names_from_rows(rows)


def names_from_rows(rows: Iterable[Sequence] | None) -> dict[str, str]:
    """``names_for``'s answer from its statement's rows, in order of rank (None: none)."""
    names: dict[str, str] = {}
    for address, _rank, first_name, last_name, company in rows or ():
        names.setdefault(address, display_name(first_name, last_name, company))
    return names


def names_json() -> ColumnElement:
    """PostgreSQL: ``names_for``'s rows as one JSON array, in order of rank, for a
    statement that reads them along with its own work (``names_params`` bound)."""
    lookup = _names_union("postgresql").subquery()
    row = func.json_build_array(*lookup.c)
    return select(func.json_agg(aggregate_order_by(row, lookup.c.rank))).scalar_subquery()


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
