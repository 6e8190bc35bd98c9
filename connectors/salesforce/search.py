"""SOSL phone search: building the statement, escaping, and parsing the response.

Salesforce stores phones as entered ("(650) 867-3450", "+44 191 4956203", "1231231234"),
so we search several digit variants of the E.164 number at once (full digits, national
significant number, national format with trunk prefix) joined with OR, in PHONE FIELDS.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import phonenumbers

from connectors.base import MatchedRecord
from connectors.errors import CrmError, CrmValidationError

# Reserved in a SOSL search term, even inside double quotes (SOSL reference, FIND).
SOSL_RESERVED = frozenset("?&|!{}[]()^~*:\\\"'+-")

RETURNING: dict[str, tuple[str, ...]] = {
    "Contact": (
        "Id",
        "Name",
        "Phone",
        "MobilePhone",
        "AccountId",
        "LastModifiedDate",
        "CreatedDate",
    ),
    "Lead": ("Id", "Name", "Phone", "MobilePhone", "LastModifiedDate", "CreatedDate"),
    "Account": ("Id", "Name", "Phone", "LastModifiedDate", "CreatedDate"),
}
PHONE_FIELDS = ("Phone", "MobilePhone")
# Bounds the sidebar list and the follow-up "Related to" query for shared numbers
# (a switchboard number can match hundreds of contacts).
SEARCH_LIMIT = 50

_NON_DIGITS = re.compile(r"\D+")


@dataclass(frozen=True)
class SearchHit:
    """A matched record plus the Account it belongs to (Contacts) or is (Accounts)."""

    record: MatchedRecord
    account_id: str | None


def digits_only(value: str | None) -> str:
    """Return ``value`` with every non-digit removed ("" for None)."""
    return _NON_DIGITS.sub("", value or "")


def escape_sosl(term: str) -> str:
    """Return ``term`` with each SOSL reserved character preceded by a backslash."""
    return "".join(f"\\{ch}" if ch in SOSL_RESERVED else ch for ch in term)


def phone_search_terms(phone_e164: str) -> list[str]:
    """Return the digit strings to search for, most specific first, without duplicates.

    For +16508673450: ["16508673450", "6508673450"]; for +441914956203:
    ["441914956203", "1914956203", "01914956203"].
    """
    terms = [digits_only(phone_e164)]
    try:
        number = phonenumbers.parse(phone_e164, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None:
        terms.append(phonenumbers.national_significant_number(number))
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        terms.append(digits_only(national))
    # SOSL needs at least two characters in a term.
    return [t for t in dict.fromkeys(terms) if len(t) >= 2]


def build_phone_sosl(phone_e164: str) -> str:
    """Return the SOSL statement finding Contacts, Leads and Accounts by phone."""
    terms = phone_search_terms(phone_e164)
    if not terms:
        raise CrmValidationError(
            f"{phone_e164!r} is not a phone number", ["phone"], "INVALID_PHONE"
        )
    query = " OR ".join(escape_sosl(term) for term in terms)
    returning = ", ".join(f"{obj}({', '.join(fields)})" for obj, fields in RETURNING.items())
    return f"FIND {{{query}}} IN PHONE FIELDS RETURNING {returning} LIMIT {SEARCH_LIMIT}"


def search_records(payload: Any) -> list[dict[str, Any]]:
    """Return the records of a search response in either shape.

    API v37.0+ answers ``{"searchRecords": [...]}``; v36.0 and earlier a bare array.
    """
    if isinstance(payload, list):
        records: Any = payload
    elif isinstance(payload, dict):
        records = payload.get("searchRecords") or []
    elif payload is None:
        records = []
    else:
        raise CrmError("Salesforce search returned an unexpected response")
    return [rec for rec in records if isinstance(rec, dict)]


def parse_datetime(value: Any) -> dt.datetime | None:
    """Return an aware datetime from Salesforce's ``2018-06-21T20:15:05.000+0000``, or None."""
    if not isinstance(value, str) or not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def record_type(record: dict[str, Any]) -> str:
    """Return the sObject type of a query/search record (from ``attributes``)."""
    attributes = record.get("attributes") or {}
    return str(attributes.get("type") or "")


def record_id(record: dict[str, Any]) -> str:
    """Return a record's Id, falling back to the last segment of ``attributes.url``."""
    if record.get("Id"):
        return str(record["Id"])
    url = str((record.get("attributes") or {}).get("url") or "")
    return url.rstrip("/").rsplit("/", 1)[-1]


def record_page_url(instance_url: str, sobject: str, sobject_id: str) -> str:
    """Return the Lightning record page URL."""
    return f"{instance_url}/lightning/r/{sobject}/{sobject_id}/view"


def _matching_phone(record: dict[str, Any], terms: Iterable[str]) -> str | None:
    phones = [record.get(name) for name in PHONE_FIELDS if record.get(name)]
    for phone in phones:
        digits = digits_only(phone)
        if any(term in digits for term in terms):
            return str(phone)
    return str(phones[0]) if phones else None


def to_hits(payload: Any, instance_url: str, phone_e164: str) -> list[SearchHit]:
    """Return one hit per distinct record of a search response, in response order."""
    terms = phone_search_terms(phone_e164)
    hits: list[SearchHit] = []
    seen: set[str] = set()
    for raw in search_records(payload):
        sobject, sobject_id = record_type(raw), record_id(raw)
        if not sobject or not sobject_id or sobject_id in seen:
            continue
        seen.add(sobject_id)
        record = MatchedRecord(
            id=sobject_id,
            name=str(raw.get("Name") or ""),
            type=sobject,
            phone=_matching_phone(raw, terms),
            updated_at=parse_datetime(raw.get("LastModifiedDate")),
            created_at=parse_datetime(raw.get("CreatedDate")),
            url=record_page_url(instance_url, sobject, sobject_id),
        )
        if sobject == "Account":
            account_id: str | None = sobject_id
        elif sobject == "Contact":
            account_id = raw.get("AccountId") or None
        else:
            account_id = None
        hits.append(SearchHit(record=record, account_id=account_id))
    return hits
