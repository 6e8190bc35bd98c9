"""Template variables: a strict ``{{ name.attr }}`` substitution, never a template engine.

User templates are data, not code: rendering them with Jinja would let anyone who can
save a template run expressions on the server (template injection). Here the only
thing a template can do is name one of ``VARIABLES``; a value is inserted once, as
text, and never scanned again, so a contact called ``{{user.name}}`` stays just that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from widget.access import personal_to
from widget.contacts.service import names_for
from widget.extensions import db
from widget.models import Contact, ContactPhone, ContactSource, Extension, PhoneNumber
from widget.phone import display

# name -> what a missing value means, for the warning shown next to a picker item
VARIABLES = {
    "contact.first_name": "first name",
    "contact.last_name": "last name",
    "contact.name": "name",
    "user.name": "name",
    "user.first_name": "first name",
    "user.extension": "extension number",
    "company.name": "company name",
}
# Everything between a "{{" and the next "}}", so a misspelt variable is caught whole.
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_OPEN = "{{"


def placeholder(name: str) -> str:
    return "{{" + name + "}}"


def variable_errors(body: str) -> list[str]:
    """Return one message per unknown or unclosed variable in ``body`` (empty when valid)."""
    errors = []
    for match in _PLACEHOLDER.finditer(body):
        name = match.group(1).strip()
        if name not in VARIABLES:
            known = ", ".join(placeholder(v) for v in VARIABLES)
            errors.append(f"Unknown variable {match.group(0)}: use one of {known}.")
    if _OPEN in _PLACEHOLDER.sub("", body):
        errors.append("A variable starts with “{{” but is never closed with “}}”.")
    return errors


@dataclass(frozen=True)
class Filled:
    """A template's text with its variables replaced, and what could not be filled."""

    text: str
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RecipientValues:
    """The values variables take for one insertion, and why a contact value is missing."""

    values: dict[str, str]
    contact_missing_reason: str | None = None


def fill(body: str, context: RecipientValues) -> Filled:
    """Replace each variable of ``body`` by its value, in one pass; warn about empty ones."""
    warnings: list[str] = []

    def replace(match: re.Match) -> str:
        name = match.group(1).strip()
        if name not in VARIABLES:
            # Saved before this variable was withdrawn: keep the text, say so.
            _warn(warnings, f"Unknown variable {match.group(0)} left as written.")
            return match.group(0)
        value = context.values.get(name, "")
        if not value:
            if name.startswith("contact.") and context.contact_missing_reason:
                reason = context.contact_missing_reason
            else:
                reason = f"No {VARIABLES[name]} for this {name.split('.', 1)[0]}"
            _warn(warnings, f"{reason}: {placeholder(name)} left empty.")
        return value

    return Filled(text=_PLACEHOLDER.sub(replace, body), warnings=warnings)


def _warn(warnings: list[str], message: str) -> None:
    if message not in warnings:
        warnings.append(message)


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.partition(" ")
    return first, last


def _contact_names(extension: Extension, address: str) -> tuple[str, str, str] | None:
    """Return (first, last, full) name of the contact ``address`` belongs to, if any.

    Same sources and precedence as ``widget.contacts.service.names_for``: the company
    directory's extensions, then directory contacts, then the user's personal contacts.
    """
    full = names_for(extension, [address]).get(address)
    if not full:
        return None
    colleague = db.session.scalar(
        select(Extension.name)
        .outerjoin(PhoneNumber, PhoneNumber.extension_id == Extension.id)
        .where(
            Extension.account_id == extension.account_id,
            (Extension.extension_number == address) | (PhoneNumber.e164 == address),
        )
        .limit(1)
    )
    if colleague is not None:
        return (*_split_name(colleague), full)
    contact = db.session.scalar(
        select(Contact)
        .join(ContactPhone, ContactPhone.contact_id == Contact.id)
        .where(
            Contact.account_id == extension.account_id,
            (Contact.source == ContactSource.DIRECTORY)
            | personal_to(extension, Contact.owner_extension_id),
            ContactPhone.e164 == address,
        )
        .order_by(Contact.source)  # "directory" sorts before "personal", as in names_for
        .limit(1)
    )
    if contact is None:
        return None
    return contact.first_name, contact.last_name, full


def recipient_values(extension: Extension, addresses: list[str], region: str) -> RecipientValues:
    """Return variable values for a message from ``extension`` to ``addresses``.

    Contact variables take the single recipient's names. With no recipient, or several
    whose names differ, they stay empty and the reason says why.
    """
    values = {
        "user.name": extension.name,
        "user.first_name": extension.first_name,
        "user.extension": extension.extension_number,
        "company.name": extension.account.name,
    }
    unique = list(dict.fromkeys(a for a in addresses if a))
    if not unique:
        return RecipientValues(values, "No recipient chosen yet")
    found = [_contact_names(extension, a) for a in unique]
    if any(names is None for names in found):
        unknown = next(a for a, names in zip(unique, found, strict=True) if names is None)
        return RecipientValues(values, f"No contact matches {display(unknown, region)}")
    if len(set(found)) > 1:
        return RecipientValues(values, f"{len(unique)} recipients with different names")
    first, last, full = found[0]
    values.update({"contact.first_name": first, "contact.last_name": last, "contact.name": full})
    return RecipientValues(values, None)
