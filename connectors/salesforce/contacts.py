"""Payloads for creating Contacts and Leads from the sidebar's "new contact" form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.errors import CrmValidationError

CONTACT_TYPES = ("Contact", "Lead")

# Optional submission keys (manifest field consts) mapped to sObject fields, per type.
_SUBMISSION_FIELDS: dict[str, dict[str, str]] = {
    "Contact": {"email": "Email", "title": "Title", "accountId": "AccountId"},
    "Lead": {"email": "Email", "title": "Title", "company": "Company"},
}


def split_name(name: str) -> tuple[str | None, str]:
    """Return ``(FirstName, LastName)``: the last word is the last name."""
    parts = name.split()
    if not parts:
        return None, ""
    if len(parts) == 1:
        return None, parts[0]
    return " ".join(parts[:-1]), parts[-1]


def contact_fields(
    contact_type: str, phone_e164: str, name: str, submission: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the create body for a Contact or Lead.

    LastName is required on both (the phone number stands in when no name is given);
    Lead also requires Company, taken from the submission or else derived from the name.
    """
    if contact_type not in CONTACT_TYPES:
        raise CrmValidationError(
            f"Salesforce contacts can be created as {' or '.join(CONTACT_TYPES)}, "
            f"not {contact_type!r}",
            ["contactType"],
            "INVALID_TYPE",
        )
    first, last = split_name(name)
    last = str(submission.get("lastName") or "") or last
    first = str(submission.get("firstName") or "") or first
    body: dict[str, Any] = {"LastName": last or phone_e164, "Phone": phone_e164}
    if first:
        body["FirstName"] = first
    for key, field_name in _SUBMISSION_FIELDS[contact_type].items():
        value = submission.get(key)
        if value not in (None, ""):
            body[field_name] = value
    if contact_type == "Lead" and not body.get("Company"):
        body["Company"] = name.strip() or phone_e164
    return body
