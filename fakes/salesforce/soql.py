"""A SOQL subset, enough for what the connector sends.

Supported: ``SELECT f, Parent.f, (SELECT ... FROM ChildRelationship ...) FROM Obj
[WHERE a = 'x' AND b IN ('y', 'z') AND c != null AND (d LIKE '%1%2' OR e LIKE 'x_')]
[ORDER BY f [ASC|DESC]] [LIMIT n]``. ``LIKE`` is Salesforce's: ``%`` any characters,
``_`` one, a backslash escapes either, case-insensitive; OR only inside parentheses (SOQL
refuses AND and OR mixed without them).
Anything else is answered with MALFORMED_QUERY, as Salesforce does for bad syntax.
Empty child relationships come back as null, like the real API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import ids
from .store import CHILD_RELATIONSHIPS, PARENT_RELATIONSHIPS, REFERENCES, Store

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:\\.|[^'\\])*')|(?P<date>\d{4}-\d{2}-\d{2}(?![\d:T]))"
    r"|(?P<num>\d+(?:\.\d+)?)|(?P<op>!=|=|\(|\)|,)"
    r"|(?P<word>[A-Za-z_][\w.]*))"
)
_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}
_INVALID_FIELD_HINT = (
    " If you are attempting to use a custom field, be sure to append the '__c' after the custom"
    " field name. Please reference your WSDL or the describe call for the appropriate names."
)


class SoqlError(Exception):
    """A query Salesforce would refuse; ``code`` is the errorCode."""

    def __init__(self, message: str, code: str = "MALFORMED_QUERY") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Query:
    """A parsed SELECT."""

    fields: list[str | Query]
    sobject: str
    where: list[tuple[str, str, list[Any]]] = field(default_factory=list)
    order_by: tuple[str, bool] | None = None  # (field, descending)
    limit: int | None = None


def tokenize(text: str) -> list[tuple[str, str]]:
    """Return ``(kind, text)`` tokens; raise MALFORMED_QUERY on anything unknown."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise SoqlError(f"unexpected token: '{text[pos:].split()[0]}'")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def _unquote(literal: str) -> str:
    out, i, body = "", 0, literal[1:-1]
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out += _UNESCAPE.get(body[i + 1], body[i + 1])
            i += 2
        else:
            out += body[i]
            i += 1
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("eof", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token[0] == "eof":
            raise SoqlError("unexpected end of query")
        self.pos += 1
        return token

    def keyword(self, *words: str) -> bool:
        kind, text = self.peek()
        if kind == "word" and text.upper() in words:
            self.pos += 1
            return True
        return False

    def expect(self, text: str) -> None:
        kind, got = self.take()
        if got.upper() != text:
            raise SoqlError(f"unexpected token: '{got}' (expected {text})")

    def value(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return _unquote(text)
        if kind == "date":  # a date literal (unquoted in SOQL) compares as the stored text
            return text
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "word" and text.lower() in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text.lower()]
        raise SoqlError(f"unexpected token: '{text}'")

    def query(self) -> Query:
        self.expect("SELECT")
        fields: list[str | Query] = []
        while True:
            if self.peek() == ("op", "("):
                self.take()
                fields.append(self.query())
                self.expect(")")
            else:
                kind, text = self.take()
                if kind != "word":
                    raise SoqlError(f"unexpected token: '{text}'")
                fields.append(text)
            if self.peek() != ("op", ","):
                break
            self.take()
        self.expect("FROM")
        query = Query(fields, self.take()[1])
        if self.keyword("WHERE"):
            query.where.append(self.condition())
            while self.keyword("AND"):
                query.where.append(self.condition())
        if self.keyword("ORDER"):
            self.expect("BY")
            name = self.take()[1]
            descending = self.keyword("DESC")
            if not descending:
                self.keyword("ASC")
            query.order_by = (name, descending)
        if self.keyword("LIMIT"):
            kind, text = self.take()
            if kind != "num":
                raise SoqlError(f"unexpected token: '{text}'")
            query.limit = int(text)
        return query

    def condition(self) -> tuple[str, str, list[Any]]:
        if self.peek() == ("op", "("):  # (a OR b ...): kept as one condition
            self.take()
            either = [self.condition()]
            while self.keyword("OR"):
                either.append(self.condition())
            self.expect(")")
            return "", "OR", either
        kind, name = self.take()
        if kind != "word":
            raise SoqlError(f"unexpected token: '{name}'")
        if self.keyword("IN"):
            self.expect("(")
            values = [self.value()]
            while self.peek() == ("op", ","):
                self.take()
                values.append(self.value())
            self.expect(")")
            return name, "IN", values
        if self.keyword("LIKE"):
            pattern = self.value()
            if not isinstance(pattern, str):
                raise SoqlError(f"LIKE needs a string, not {pattern!r}")
            return name, "LIKE", [pattern]
        op = self.take()[1]
        if op not in ("=", "!="):
            raise SoqlError(f"Sidetalk's fake supports only =, != and IN, not '{op}'")
        return name, op, [self.value()]


def parse(text: str) -> Query:
    """Return the parsed query; raise ``SoqlError`` for syntax outside the subset."""
    parser = _Parser(tokenize(text))
    query = parser.query()
    if parser.peek()[0] != "eof":
        raise SoqlError(f"unexpected token: '{parser.peek()[1]}'")
    return query


def _check_field(store: Store, sobject: str, name: str) -> None:
    if "." in name:
        relation, _, rest = name.partition(".")
        if (sobject, relation) not in PARENT_RELATIONSHIPS or "." in rest:
            raise SoqlError(
                f"Didn't understand relationship '{relation}' in field path.", "INVALID_FIELD"
            )
        _check_field(store, relation, rest)
    elif name not in store.fields_of(sobject):
        raise SoqlError(
            f"No such column '{name}' on entity '{sobject}'.{_INVALID_FIELD_HINT}", "INVALID_FIELD"
        )


def _check_ids(sobject: str, name: str, values: list[Any]) -> None:
    """Refuse a malformed id compared with an id field, as Salesforce does."""
    if name != "Id" and name not in REFERENCES.get(sobject, {}):
        return
    for value in values:
        if value is not None and not ids.is_valid(value):
            raise SoqlError(f"invalid ID field: {value}", "INVALID_QUERY_FILTER_OPERATOR")


def _normalized(value: Any) -> Any:
    return ids.normalize(value) if ids.is_well_formed(value) and ids.type_of(value) else value


def like(pattern: str) -> re.Pattern[str]:
    """Return the regular expression of a SOQL LIKE pattern."""
    out, i = "", 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out += re.escape(pattern[i + 1])
            i += 2
            continue
        out += ".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
        i += 1
    return re.compile(out, re.IGNORECASE | re.DOTALL)


def leaves(where: list[tuple[str, str, list[Any]]]) -> list[tuple[str, str, list[Any]]]:
    """Return the plain conditions of a WHERE, those inside OR groups included."""
    found = []
    for name, op, values in where:
        found += leaves(values) if op == "OR" else [(name, op, values)]
    return found


def matches(record: dict[str, Any], where: list[tuple[str, str, list[Any]]]) -> bool:
    for name, op, values in where:
        if op == "OR":
            if not any(matches(record, [either]) for either in values):
                return False
            continue
        if op == "LIKE":
            stored = record.get(name)
            if stored is None or not like(values[0]).fullmatch(str(stored)):
                return False
            continue
        actual = _normalized(record.get(name))
        wanted = [_normalized(v) for v in values]
        hit = actual in wanted
        if (op == "!=" and hit) or (op != "!=" and not hit):
            return False
    return True


def _attributes(sobject: str, record_id: str, version: str) -> dict[str, str]:
    return {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{record_id}"}


def execute(query: Query, store: Store, version: str, parent: tuple[str, str] | None = None) -> Any:
    """Return the query result ``{totalSize, done, records}`` (None for an empty child query)."""
    sobject, extra_where = query.sobject, []
    if parent is not None:
        relation = CHILD_RELATIONSHIPS.get((parent[0], query.sobject))
        if relation is None:
            raise SoqlError(
                f"Didn't understand relationship '{query.sobject}' in FROM part of query call.",
                "INVALID_TYPE",
            )
        sobject = relation[0]
        extra_where = [(relation[1], "=", [parent[1]])]
    if sobject not in store.schema:
        raise SoqlError(f"sObject type '{sobject}' is not supported.", "INVALID_TYPE")
    for item in query.fields:
        if isinstance(item, str):
            _check_field(store, sobject, item)
    for name, _, values in leaves(query.where):
        _check_field(store, sobject, name)
        _check_ids(sobject, name, values)
    rows = [r for r in store.all(sobject) if matches(r, query.where + extra_where)]
    if query.order_by is not None:
        name, descending = query.order_by
        _check_field(store, sobject, name)
        present = sorted((r for r in rows if r.get(name) is not None), key=lambda r: r[name])
        missing = [r for r in rows if r.get(name) is None]
        rows = (present[::-1] + missing) if descending else (present + missing)
    if query.limit is not None:
        rows = rows[: query.limit]
    records = [_project(sobject, row, query.fields, store, version) for row in rows]
    if parent is not None and not records:
        return None
    return {"totalSize": len(records), "done": True, "records": records}


def _project(
    sobject: str, row: dict[str, Any], fields: list[str | Query], store: Store, version: str
) -> dict[str, Any]:
    out: dict[str, Any] = {"attributes": _attributes(sobject, row["Id"], version)}
    for item in fields:
        if isinstance(item, Query):
            out[item.sobject] = execute(item, store, version, parent=(sobject, row["Id"]))
        elif "." in item:
            relation, _, name = item.partition(".")
            target_id = row.get(PARENT_RELATIONSHIPS[(sobject, relation)])
            found = store.get(target_id) if target_id else None
            if found is None:
                out[relation] = None
            else:
                nested = out.get(relation) or {
                    "attributes": _attributes(found[0], found[1]["Id"], version)
                }
                nested[name] = found[1].get(name)
                out[relation] = nested
        else:
            out[item] = row.get(item)
    return out
