"""Salesforce record ids: key prefixes, 15/18-character forms, generation and validation."""

from __future__ import annotations

import re
import string

PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "Organization": "00D",
    "Lead": "00Q",
    "Task": "00T",
    "Case": "500",
    "TaskStatus": "01J",
}
TYPE_BY_PREFIX = {prefix: sobject for sobject, prefix in PREFIXES.items()}

_ID_SHAPE = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_SUFFIX_ALPHABET = string.ascii_uppercase + "012345"
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def checksum(id15: str) -> str:
    """Return the 3-character case-safe suffix Salesforce appends to a 15-character id."""
    out = ""
    for chunk in range(3):
        bits = 0
        for position, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << position
        out += _SUFFIX_ALPHABET[bits]
    return out


def is_well_formed(value: object) -> bool:
    """Return True for a 15- or 18-character alphanumeric id."""
    return isinstance(value, str) and bool(_ID_SHAPE.match(value))


def is_valid(value: object) -> bool:
    """Return True for a well-formed id whose 18-character suffix (if any) is correct.

    Salesforce refuses an 18-character id whose case-safe suffix does not match its
    first 15 characters (MALFORMED_ID, or "invalid ID field" in a SOQL filter).
    """
    if not is_well_formed(value):
        return False
    text = str(value)
    return len(text) == 15 or checksum(text[:15]) == text[15:].upper()


def normalize(value: str) -> str:
    """Return the 18-character form of a well-formed id (unchanged when already 18)."""
    return value + checksum(value) if len(value) == 15 else value


def type_of(value: object) -> str | None:
    """Return the sObject type a well-formed id belongs to, from its key prefix."""
    if not is_well_formed(value):
        return None
    return TYPE_BY_PREFIX.get(str(value)[:3])


def make_id(sobject: str, counter: int) -> str:
    """Return a new 18-character id of ``sobject`` for sequence number ``counter``."""
    digits = ""
    n = counter
    while True:
        n, rem = divmod(n, 62)
        digits = _BASE62[rem] + digits
        if n == 0:
            break
    id15 = f"{PREFIXES[sobject]}5g00000{digits:0>5}"
    return id15 + checksum(id15)
