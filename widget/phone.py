"""Phone numbers: parse anything a person types into E.164, and format for display."""

from __future__ import annotations

import functools

import phonenumbers

from widget.errors import Invalid

_PAGER_EXTENSION_MAX = 8


def to_e164(raw: str, region: str = "US", field: str = "number") -> str:
    """Return ``raw`` as an E.164 string or raise ``Invalid`` naming what is wrong."""
    text = (raw or "").strip()
    if not text:
        raise Invalid("A phone number is required.", field=field)
    # Every inbound message parses its two numbers, and parsing is the costliest step of
    # delivery's checks; the answer depends only on the text and region, so keep it for
    # text the length of a number (longer text is parsed each time, never kept).
    parse = _parse_kept if len(text) <= _KEPT_LENGTH else _parse
    e164, problem = parse(text, region)
    if problem == "unparsable":
        raise Invalid(f"“{text}” is not a phone number.", field=field)
    if problem == "invalid":
        raise Invalid(f"“{text}” is not a valid phone number.", field=field)
    return e164


_KEPT_LENGTH = 40


def _parse(text: str, region: str) -> tuple[str, str | None]:
    """``(e164, None)``, or ``("", "unparsable" | "invalid")``."""
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return "", "unparsable"
    if not phonenumbers.is_possible_number(parsed) or not phonenumbers.is_valid_number(parsed):
        return "", "invalid"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None


_parse_kept = functools.lru_cache(maxsize=4096)(_parse)


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
