"""Phone numbers: parse anything a person types into E.164, and format for display."""

from __future__ import annotations

import phonenumbers

from widget.errors import BadInput

_PAGER_EXTENSION_MAX = 8


def to_e164(raw: str, region: str = "US", field: str = "number") -> str:
    """Return ``raw`` as an E.164 string or raise ``BadInput`` naming what is wrong."""
    text = (raw or "").strip()
    if not text:
        raise BadInput("A phone number is required.", field=field)
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise BadInput(f"“{text}” is not a phone number.", field=field) from exc
    if not phonenumbers.is_possible_number(parsed) or not phonenumbers.is_valid_number(parsed):
        raise BadInput(f"“{text}” is not a valid phone number.", field=field)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_extension_number(value: str) -> bool:
    return value.isdigit() and 0 < len(value) <= _PAGER_EXTENSION_MAX


def display(address: str, region: str = "US") -> str:
    """Return a readable form: national format at home, international abroad."""
    if not address.startswith("+"):
        return f"Ext. {address}" if is_extension_number(address) else address
    try:
        parsed = phonenumbers.parse(address, None)
    except phonenumbers.NumberParseException:
        return address
    if phonenumbers.region_code_for_number(parsed) == region:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
