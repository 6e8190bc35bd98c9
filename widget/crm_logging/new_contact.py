"""The Log panel's "Create contact" form, for conversation members no CRM record matches.

One form per unmatched number: the name (prefilled from the address book), a type from
the manifest's ``contactTypes`` and the manifest's ``newContact`` fields, whose controls
are prefixed per number so two forms on one panel never share ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from manifest import FormField, build_form, validate_submission
from widget.crm_logging.panel import CrmView, form_values
from widget.errors import Invalid
from widget.models import Conversation

NEW_CONTACT_PREFIX = "new_"
MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class NewContact:
    """A valid Create contact submission, ready for ``engine.create_contact``."""

    phone: str
    name: str
    contact_type: str
    submission: dict[str, Any]


def new_contact_form(crm: CrmView) -> list[FormField]:
    """Return the manifest's ``newContact`` fields."""
    return build_form(crm.fields_of("newContact"))


def new_contact_prefix(phone: str) -> str:
    """The control-name prefix of one number's Create contact form (one form per number)."""
    return f"{NEW_CONTACT_PREFIX}{phone.lstrip('+')}_"


def new_contact_values(crm: CrmView, phone: str, form: Mapping[str, Any]) -> dict[str, Any]:
    """Return what was typed into a Create contact form, to show it again with errors."""
    values = form_values(new_contact_form(crm), form, new_contact_prefix(phone))
    values["name"] = str(form.get("name") or "")
    values["contact_type"] = str(form.get("contact_type") or "")
    return values


def read_new_contact(
    conversation: Conversation, crm: CrmView, form: Mapping[str, Any]
) -> tuple[NewContact | None, dict[str, str]]:
    """Return the contact to create from the form, or None with errors keyed by field.

    ``phone`` must be a member of the conversation; errors use the keys ``name``,
    ``contact_type`` and the ``newContact`` field consts.
    """
    phone = str(form.get("phone") or "")
    if phone not in conversation.addresses:
        raise Invalid("That number is not part of this conversation.", "phone")
    errors: dict[str, str] = {}
    name = " ".join(str(form.get("name") or "").split())
    if not name:
        errors["name"] = "Required"
    elif len(name) > MAX_NAME_LENGTH:
        errors["name"] = f"Too long (at most {MAX_NAME_LENGTH} characters)"
    contact_type = str(form.get("contact_type") or "")
    offered = [value for value, _ in crm.contact_types] or ["Contact"]
    if contact_type not in offered:
        errors["contact_type"] = "Not one of the offered types"
    submission, field_errors = validate_submission(
        new_contact_form(crm), form, prefix=new_contact_prefix(phone)
    )
    errors.update(field_errors)
    if errors:
        return None, errors
    return NewContact(phone, name, contact_type, submission), {}
