"""SOQL literal quoting (Salesforce's escape sequences inside single-quoted strings)."""

from __future__ import annotations

from collections.abc import Iterable

_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def soql_literal(value: str) -> str:
    """Return ``value`` as a single-quoted SOQL string literal with quotes escaped."""
    return "'" + "".join(_ESCAPES.get(ch, ch) for ch in value) + "'"


def soql_in(values: Iterable[str]) -> str:
    """Return ``('a', 'b')`` for an ``IN`` clause (each value quoted)."""
    return "(" + ", ".join(soql_literal(v) for v in values) + ")"
