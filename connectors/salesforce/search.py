"""Phone search: the SOSL statement, its SOQL fallback, escaping, parsing the response.

Salesforce stores phones as entered ("(650) 867-3450", "+44 191 4956203", "1231231234"),
so we search several digit variants of the E.164 number at once (full digits, national
significant number, national format with trunk prefix) joined with OR, in PHONE FIELDS.
The search index matches tokens split at spaces and punctuation, and that it also
matches across punctuation is reported, not documented (SOURCES.md fact 4): a number
stored in another grouping ("+44 191 4956203" for "+44 191 495 6203") may be missed.
When SOSL finds nothing (or is refused), one SOQL query per object asks the phone fields
with ``LIKE`` and the digits in order with anything between them, which no spelling
escapes; every row is then checked to be the same number (``same_number``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import phonenumbers

from connectors.errors import CrmError, CrmValidationError
from connectors.phones import same_number
from connectors.records import MatchedRecord

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
# A name search feeds a picker showing a dozen candidates; longer inputs are not names.
NAME_SEARCH_LIMIT = 20
NAME_SEARCH_WORDS = 4

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
    """Return the number written as Salesforce orgs store phones, most common first.

    Phones are stored as entered and the search index splits them into tokens at spaces
    and punctuation, so a digit string only finds the same digits stored unpunctuated
    (or as one whole number). For +16508673450: ["+16508673450", "(650) 867-3450",
    "650-867-3450", "6508673450", "+1 650-867-3450", "16508673450"]; for +441914956203
    also "+44 191 495 6203" and "0191 495 6203".
    """
    try:
        number = phonenumbers.parse(phone_e164, None)
    except phonenumbers.NumberParseException:
        number = None
    terms: list[str] = []
    if number is not None and phonenumbers.is_possible_number(number):
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        significant = phonenumbers.national_significant_number(number)
        international = phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        terms += [phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)]
        terms += [national]
        if number.country_code == 1 and len(significant) == 10:
            terms.append(f"{significant[:3]}-{significant[3:6]}-{significant[6:]}")
        terms += [significant, international, digits_only(national), digits_only(phone_e164)]
    else:
        terms.append(digits_only(phone_e164))
    # SOSL needs at least two characters in a term.
    return [t for t in dict.fromkeys(terms) if len(digits_only(t)) >= 2]


def _quoted(term: str) -> str:
    """Return ``term`` as one SOSL phrase: reserved characters escaped, inside quotes."""
    escaped = escape_sosl(term)
    return f'"{escaped}"' if " " in term else escaped


def build_phone_sosl(phone_e164: str, returning: dict[str, tuple[str, ...]] | None = None) -> str:
    """Return the SOSL statement finding Contacts, Leads and Accounts by phone.

    ``returning`` maps each object to its RETURNING clause body (default: ``RETURNING``,
    with converted Leads left out: a converted Lead lives on as the Contact it became).
    """
    terms = phone_search_terms(phone_e164)
    if not terms:
        raise CrmValidationError(
            f"{phone_e164!r} is not a phone number", ["phone"], "INVALID_PHONE"
        )
    query = " OR ".join(_quoted(term) for term in terms)
    clauses = returning_clauses(returning or RETURNING)
    return f"FIND {{{query}}} IN PHONE FIELDS RETURNING {clauses} LIMIT {SEARCH_LIMIT}"


def phone_like_pattern(phone_e164: str) -> str | None:
    """Return the SOQL ``LIKE`` pattern finding ``phone_e164`` however it was punctuated:
    its national significant number's digits with ``%`` before and between them
    ("%6%5%0%8%6%7%3%4%5%0"), so a country code, trunk prefix, spaces, dots, dashes or
    parentheses all match; None for what is not a phone number."""
    try:
        number = phonenumbers.parse(phone_e164, None)
    except phonenumbers.NumberParseException:
        return None
    significant = phonenumbers.national_significant_number(number)
    if len(significant) < 4:  # too short to tell a number from a fragment
        return None
    return "%" + "%".join(significant)


def build_phone_soql(
    phone_e164: str, returning: dict[str, tuple[str, ...]] | None = None
) -> list[str]:
    """Return one SOQL query per RETURNING object on its phone fields with
    ``phone_like_pattern`` (converted Leads left out, as in the SOSL), or [] when the
    number has no pattern. Digits only go into the statement: nothing to escape."""
    pattern = phone_like_pattern(phone_e164)
    if pattern is None:
        return []
    statements = []
    for obj, fields in (returning or RETURNING).items():
        phones = [f"{name} LIKE '{pattern}'" for name in PHONE_FIELDS if name in fields]
        where = f"({' OR '.join(phones)})"
        if obj == "Lead":
            where += " AND IsConverted = false"
        statements.append(
            f"SELECT {', '.join(fields)} FROM {obj} WHERE {where} LIMIT {SEARCH_LIMIT}"  # noqa: S608 - digits only
        )
    return statements


def same_number_records(records: list[dict[str, Any]], phone_e164: str) -> list[dict[str, Any]]:
    """Return the records one of whose phone fields really is ``phone_e164``."""
    return [
        record
        for record in records
        if any(same_number(record.get(name), phone_e164) for name in PHONE_FIELDS)
    ]


def returning_clauses(returning: dict[str, tuple[str, ...]]) -> str:
    """Return ``Contact(Id, ...), Lead(Id, ... WHERE IsConverted = false), ...``."""
    parts = []
    for obj, fields in returning.items():
        where = " WHERE IsConverted = false" if obj == "Lead" else ""
        parts.append(f"{obj}({', '.join(fields)}{where})")
    return ", ".join(parts)


def build_name_sosl(text: str, returning: dict[str, tuple[str, ...]] | None = None) -> str | None:
    """Return the SOSL statement finding records whose names start with the words of
    ``text`` (every word must match), or None when no word is long enough to search."""
    words = [word for word in text.split() if len(word) >= 2][:NAME_SEARCH_WORDS]
    if not words:
        return None
    query = " ".join(f"{escape_sosl(word)}*" for word in words)
    clauses = returning_clauses(returning or RETURNING)
    return f"FIND {{{query}}} IN NAME FIELDS RETURNING {clauses} LIMIT {NAME_SEARCH_LIMIT}"


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
    wanted = {digits_only(term) for term in terms}
    for phone in phones:
        if digits_only(phone) in wanted:
            return str(phone)
    return str(phones[0]) if phones else None


def to_hits(payload: Any, instance_url: str, phone_e164: str | None = None) -> list[SearchHit]:
    """Return one hit per distinct record of a search response, in response order.

    With ``phone_e164`` (a phone search) each record's phone is the field that matched it;
    otherwise its first phone field.
    """
    terms = phone_search_terms(phone_e164) if phone_e164 else []
    hits: list[SearchHit] = []
    raws = search_records(payload)
    # A Person Account is an Account and a Contact at once: a search finds both. It is
    # matched once, as its Contact (a Task's WhoId, with the Account as "Related to").
    seen: set[str] = {
        str(raw["AccountId"])
        for raw in raws
        if record_type(raw) == "Contact" and raw.get("IsPersonAccount") and raw.get("AccountId")
    }
    for raw in raws:
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
