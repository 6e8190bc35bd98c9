"""A SOSL subset: ``FIND {terms} [IN <group> FIELDS] [RETURNING Obj(fields), ...] [LIMIT n]``.

Terms are backslash-unescaped; unescaped reserved characters other than grouping parens,
quotes and wildcards are rejected like Salesforce does. Terms joined with OR match if any
matches, otherwise every term must match. A RETURNING object may carry ``WHERE a = x [AND
...]`` (the SOQL subset) and ``LIMIT n``.

Phone fields are matched the way Salesforce's search index sees them: the stored text
("(650) 867-3450", stored as entered) is split into tokens at spaces and punctuation
(650, 867, 3450), and a term matches when its own tokens appear in that order; "0867" or
"50867" are not tokens and find nothing. A term written without punctuation also finds
the number stored with any punctuation ("6508673450" or "+16508673450" find
"(650) 867-3450" and "+1 650-867-3450"), which integrators report from real orgs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import soql
from .store import PHONE_FIELDS, Store

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
class Returning:
    """One object of RETURNING: its fields and optional WHERE / LIMIT."""

    sobject: str
    fields: list[str]
    where: list[tuple[str, str, list[Any]]] = field(default_factory=list)
    limit: int | None = None


@dataclass
class Search:
    """A parsed SOSL statement."""

    groups: list[list[str]]  # OR of AND-groups of plain terms
    field_group: str
    returning: list[Returning]
    limit: int


def _split_term(raw: str) -> list[list[str]]:
    tokens: list[str] = []
    current = ""
    quoted = False  # inside "...": one phrase, spaces included
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            current += raw[i + 1]
            i += 2
            continue
        if ch in RESERVED and ch not in _ALLOWED_UNESCAPED:
            raise SoslError(f"Search term contains an unescaped reserved character: '{ch}'")
        if ch == '"':
            quoted = not quoted
        elif ch.isspace() and quoted:
            current += ch
        elif ch.isspace():
            if current:
                tokens.append(current)
            current = ""
        elif ch not in "()":
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
_SPEC = re.compile(r"^(?P<obj>\w+)\s*(?:\((?P<inner>.*)\))?$", re.DOTALL)
_INNER = re.compile(
    r"^(?P<fields>.*?)(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)


def _returning(spec: str) -> Returning:
    match = _SPEC.match(spec)
    if match is None:
        raise SoslError(f"Sidetalk's fake supports only Object(field, ...) here: {spec!r}")
    inner = _INNER.match(match.group("inner") or "Id")
    if inner is None:  # pragma: no cover - the pattern matches any text
        raise SoslError(f"unexpected token: {spec!r}")
    fields = [f.strip() for f in (inner.group("fields") or "Id").split(",") if f.strip()]
    where: list[tuple[str, str, list[Any]]] = []
    if inner.group("where"):
        try:
            where = soql.parse(
                f"SELECT Id FROM {match.group('obj')} WHERE {inner.group('where')}"  # noqa: S608 - parsed by the fake, never run
            ).where
        except soql.SoqlError as exc:
            raise SoslError(exc.message) from None
    limit = int(inner.group("limit")) if inner.group("limit") else None
    return Returning(match.group("obj"), fields or ["Id"], where, limit)


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
    returning = [_returning(spec) for spec in _split_top_level(tail.group("returning") or "")]
    if not returning:
        returning = [Returning(name, ["Id"]) for name in ("Account", "Contact", "Lead")]
    return Search(groups, group, returning, int(tail.group("limit") or 2000))


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", str(value or ""))


def tokens(text: Any) -> list[str]:
    """Return the search index's tokens of a stored value: split at spaces and punctuation."""
    return re.findall(r"[0-9a-z]+", str(text or "").lower())


def phone_term_matches(term: str, stored: Any, whole_digits: bool = True) -> bool:
    """Return True when a search term finds a stored phone value (see the module docstring;
    ``whole_digits`` False: tokens only, what Salesforce documents)."""
    wanted = tokens(term.strip("*?"))
    have = tokens(stored)
    if not wanted or not have:
        return False
    span = len(wanted)
    if any(have[i : i + span] == wanted for i in range(len(have) - span + 1)):
        return True
    # An unpunctuated number is compared with the whole stored number's digits.
    return (
        whole_digits and len(wanted) == 1 and wanted[0].isdigit() and wanted[0] == _digits(stored)
    )


def _phone_fields(sobject: str, record: dict[str, Any]) -> list[Any]:
    return [record.get(name) for name in PHONE_FIELDS.get(sobject, ()) if record.get(name)]


def _term_matches(
    term: str, record: dict[str, Any], sobject: str, field_group: str, whole_digits: bool
) -> bool:
    if field_group == "PHONE":
        return any(
            phone_term_matches(term, value, whole_digits)
            for value in _phone_fields(sobject, record)
        )
    needle = term.strip("*?").lower()
    names = NAME_FIELDS.get(sobject, ())
    texts = [record.get(name) for name in names]
    if field_group in ("ALL", "SIDEBAR", "EMAIL"):
        texts.append(record.get("Email"))
    if field_group in ("ALL", "SIDEBAR") and any(
        phone_term_matches(term, value, whole_digits) for value in _phone_fields(sobject, record)
    ):
        return True
    return any(needle in str(text).lower() for text in texts if text)


def execute(
    search: Search, store: Store, api_version: str, whole_digits: bool = True
) -> list[dict[str, Any]]:
    """Return matching records grouped by object in RETURNING order, requested fields only
    (``whole_digits``: see ``phone_term_matches``)."""
    results: list[dict[str, Any]] = []
    for spec in search.returning:
        sobject, fields = spec.sobject, spec.fields
        try:
            known = set(store.fields_of(sobject))
        except KeyError:
            raise SoslError(f"sObject type '{sobject}' is not supported.", "INVALID_TYPE") from None
        for name in fields + [name for name, _, _ in soql.leaves(spec.where)]:
            if name not in known:
                raise SoslError(f"No such column '{name}' on entity '{sobject}'.", "INVALID_FIELD")
        found = 0
        for record in store.all(sobject):
            if spec.limit is not None and found >= spec.limit:
                break
            if not soql.matches(record, spec.where):
                continue
            if not any(
                all(
                    _term_matches(t, record, sobject, search.field_group, whole_digits)
                    for t in group
                )
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
            found += 1
    return results[: search.limit]
