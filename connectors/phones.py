"""Phone numbers as CRMs search them: national digits, stored formats, and match checks."""

from __future__ import annotations

import re

import phonenumbers

_DIGITS = re.compile(r"\D")


def digits(text: str | None) -> str:
    """Return only the digits of ``text``."""
    return _DIGITS.sub("", text or "")


def national_number(phone_e164: str) -> str:
    """Return the national significant number of an E.164 number ("4155550131" for
    "+14155550131"): what HubSpot and Pipedrive search match on, without the country code.

    Raises ``ValueError`` for a number that is not E.164 (an extension, a short code).
    """
    try:
        parsed = phonenumbers.parse(phone_e164, None)
    except phonenumbers.NumberParseException:
        raise ValueError(f"{phone_e164!r} is not an E.164 number") from None
    return phonenumbers.national_significant_number(parsed)


def stored_formats(phone_e164: str) -> list[str]:
    """Return the spellings a CRM that matches stored text literally may hold, most likely
    first: national digits (also found inside "+1..." and "1..."), the national format of
    the number's country, and for North America 415-555-0131 and 415.555.0131."""
    national = national_number(phone_e164)
    parsed = phonenumbers.parse(phone_e164, None)
    found = [national, phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)]
    if parsed.country_code == 1 and len(national) == 10:
        area, exchange, line = national[:3], national[3:6], national[6:]
        found += [f"{area}-{exchange}-{line}", f"{area}.{exchange}.{line}"]
    unique: list[str] = []
    for spelling in found:
        if spelling not in unique:
            unique.append(spelling)
    return unique


def same_number(stored: str | None, phone_e164: str) -> bool:
    """Return True when a stored phone (any spelling) is ``phone_e164``: its digits end with
    the national number and what precedes is nothing or the country code (so a search hit
    on a digit substring such as "0867" is not taken for a match)."""
    stored_digits = digits(stored)
    national = national_number(phone_e164)
    if not stored_digits.endswith(national):
        return False
    prefix = stored_digits[: -len(national)]
    country = phone_e164.lstrip("+")[: -len(national)]
    return prefix in ("", country, "0", "00" + country, "011" + country)
