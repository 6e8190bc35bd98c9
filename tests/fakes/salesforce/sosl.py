"""A SOSL subset: ``FIND {terms} [IN <group> FIELDS] [RETURNING Obj(fields), ...] [LIMIT n]``.

Terms are backslash-unescaped; unescaped reserved characters other than grouping parens,
quotes and wildcards are rejected like Salesforce does. Terms joined with OR match if any
matches, otherwise every term must match. In PHONE FIELDS a term matches when the field's
digits contain the term's digits (Salesforce stores phones as entered, so "(650) 867-3450"
is found by 6508673450).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .store import PHONE_FIELDS, Store, fields_of

RESERVED = set("?&|!{}[]()^~*:\\\"'+-")
_ALLOWED_UNESCAPED = set('"*?()')
NAME_FIELDS = {"Account": ("Name",), "Contact": ("Name",), "Lead": ("Name", "Company")}
GROUPS = {"ALL", "NAME", "EMAIL", "PHONE", "SIDEBAR"}


class SoslError(Exception):
    """A search the fake (like Salesforce) refuses; ``code`` is the Salesforce errorCode."""

    def __init__(self, message: str, code: str = "MALFORMED_SEARCH") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Search:
    """A parsed SOSL statement."""

    groups: list[list[str]]  # OR of AND-groups of plain terms
    field_group: str
    returning: list[tuple[str, list[str]]]
    limit: int


def _split_term(raw: str) -> list[list[str]]:
    tokens: list[str] = []
    current = ""
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            current += raw[i + 1]
            i += 2
            continue
        if ch in RESERVED and ch not in _ALLOWED_UNESCAPED:
            raise SoslError(f"Search term contains an unescaped reserved character: '{ch}'")
        if ch.isspace():
            if current:
                tokens.append(current)
            current = ""
        elif ch not in '()"':
            current += ch
        i += 1
    if current:
        tokens.append(current)
    groups: list[list[str]] = [[]]
    for token in tokens:
        if token.upper() == "OR":
            groups.append([])
        elif token.upper() != "AND":
            groups[-1].append(token)
    return [group for group in groups if group]


def _term_end(statement: str, start: int) -> int:
    i = start
    while i < len(statement):
        if statement[i] == "\\":
            i += 2
            continue
        if statement[i] == "}":
            return i
        i += 1
    raise SoslError("No search term found. The search term must be enclosed in braces.")


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if depth != 0:
        raise SoslError("unexpected token: unbalanced parentheses in RETURNING")
    if current.strip():
        parts.append(current.strip())
    return parts


_TAIL = re.compile(
    r"^\s*(?:IN\s+(?P<group>\w+)\s+FIELDS)?\s*(?:RETURNING\s+(?P<returning>.+?))?"
    r"\s*(?:LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_SPEC = re.compile(r"^(?P<obj>\w+)\s*(?:\((?P<fields>[^()]*)\))?$")


def parse(statement: str) -> Search:
    """Return the parsed statement; raise ``SoslError`` like Salesforce would."""
    head = re.match(r"^\s*FIND\s*\{", statement, re.IGNORECASE)
    if head is None:
        raise SoslError("No search term found. The search term must be enclosed in braces.")
    end = _term_end(statement, head.end())
    groups = _split_term(statement[head.end() : end])
    if not groups or any(len(t) < 2 for g in groups for t in g):
        raise SoslError("search term must be longer than one character")
    tail = _TAIL.match(statement[end + 1 :])
    if tail is None:
        raise SoslError(f"unexpected token: {statement[end + 1 :].split()[0]!r}")
    group = (tail.group("group") or "ALL").upper()
    if group not in GROUPS:
        raise SoslError(f"unexpected token: {tail.group('group')!r}")
    returning: list[tuple[str, list[str]]] = []
    for spec in _split_top_level(tail.group("returning") or ""):
        match = _SPEC.match(spec)
        if match is None:
            raise SoslError(f"Sidetalk's fake supports only Object(field, ...) here: {spec!r}")
        fields = [f.strip() for f in (match.group("fields") or "Id").split(",") if f.strip()]
        returning.append((match.group("obj"), fields))
    if not returning:
        returning = [(name, ["Id"]) for name in ("Account", "Contact", "Lead")]
    return Search(groups, group, returning, int(tail.group("limit") or 2000))


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", str(value or ""))


def _term_matches(term: str, record: dict[str, Any], sobject: str, field_group: str) -> bool:
    if field_group == "PHONE":
        wanted = _digits(term)
        return bool(wanted) and any(
            wanted in _digits(record.get(name)) for name in PHONE_FIELDS.get(sobject, ())
        )
    needle = term.strip("*?").lower()
    names = NAME_FIELDS.get(sobject, ())
    texts = [record.get(name) for name in names]
    if field_group in ("ALL", "SIDEBAR", "EMAIL"):
        texts.append(record.get("Email"))
    if field_group in ("ALL", "SIDEBAR"):
        texts += [record.get(name) for name in PHONE_FIELDS.get(sobject, ())]
    return any(needle in str(text).lower() for text in texts if text)


def execute(search: Search, store: Store, api_version: str) -> list[dict[str, Any]]:
    """Return matching records grouped by object in RETURNING order, requested fields only."""
    results: list[dict[str, Any]] = []
    for sobject, fields in search.returning:
        try:
            known = set(fields_of(sobject))
        except KeyError:
            raise SoslError(f"sObject type '{sobject}' is not supported.", "INVALID_TYPE") from None
        for name in fields:
            if name not in known:
                raise SoslError(f"No such column '{name}' on entity '{sobject}'.", "INVALID_FIELD")
        for record in store.all(sobject):
            if not any(
                all(_term_matches(t, record, sobject, search.field_group) for t in group)
                for group in search.groups
            ):
                continue
            out: dict[str, Any] = {
                "attributes": {
                    "type": sobject,
                    "url": f"/services/data/v{api_version}/sobjects/{sobject}/{record['Id']}",
                }
            }
            out.update({name: record.get(name) for name in fields})
            results.append(out)
    return results[: search.limit]
