"""SQL building blocks shared by the services.

``one_of``: the statements every list page runs are built once per dialect with named
parameters and executed with values (``db.session.execute(statement, {...})``): building
a select with its joins and unions costs more Python time than PostgreSQL spends
running it. ``insert_once``: the race-safe half of "find, else create";
``dialect_insert``: an ``INSERT`` that can say ``ON CONFLICT``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import JSON, any_, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from widget.extensions import db


def dialect_name() -> str:
    """Return the name of the database dialect the session talks to."""
    return db.session.get_bind().dialect.name


def dialect_insert(model):
    """``INSERT`` with the dialect's ``ON CONFLICT`` clauses (PostgreSQL and SQLite share them)."""
    module = postgresql if dialect_name() == "postgresql" else sqlite
    return module.insert(model)


def insert_once(row) -> bool:
    """Insert ``row`` in a savepoint; False when a unique constraint says it exists already.

    Callers look for the row first; a concurrent transaction may still insert the same
    key in between, and the savepoint keeps the rest of the caller's transaction alive
    when that happens (the caller then uses the other one's row, or nothing is needed).
    """
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return False
    return True


def one_of(column, parameter: str, dialect: str) -> ColumnElement[bool]:
    """Return ``column IN :parameter``, where the parameter is given a list at execution.

    On PostgreSQL the list travels as one array (``= ANY(:parameter)``), so the SQL text
    is the same whatever its length: psycopg parses it once, instead of a statement
    with a placeholder per value (a 60-address page lookup spent more time rendering and
    parsing those than PostgreSQL spent running it). SQLite has no arrays and a cheap
    IN, so it gets an expanding ``IN``.
    """
    if dialect == "postgresql":
        return column == any_(bindparam(parameter, type_=ARRAY(column.type)))
    return column.in_(bindparam(parameter, expanding=True))


def unnest_insert(table, rows: list[dict], conflict: list[str]):
    """PostgreSQL: ``INSERT ... SELECT FROM unnest(<one array per column>) ON CONFLICT (...)
    DO NOTHING RETURNING <every column>`` for ``rows`` (dicts with every column but ``id``).

    A multi-row VALUES of a thousand rows is twenty thousand placeholders, which psycopg
    parses again for every page (half the time of a page went there); this statement is
    one short text with an array per column, whatever the number of rows.
    """
    dialect = postgresql.dialect()
    columns = [c for c in table.columns if c.name in rows[0]]
    selects, params = [], {}
    for index, column in enumerate(columns):
        values = [_plain(row[column.name]) for row in rows]
        if isinstance(column.type, JSON):
            selects.append(f"CAST(:c{index} AS TEXT[])::JSON[]")
        else:
            selects.append(f"CAST(:c{index} AS {column.type.compile(dialect=dialect)}[])")
        params[f"c{index}"] = values
    names = ", ".join(c.name for c in columns)
    returned = ", ".join(c.name for c in table.columns)
    sql = (
        f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({', '.join(selects)})"  # noqa: S608
        f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING RETURNING {returned}"
    )
    return text(sql).bindparams(**params).columns(*table.columns)


def _plain(value):
    """A value as psycopg sends it inside an array (what the column types would bind)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value
