"""SQL building blocks shared by the services.

``one_of``: the statements every list page runs are built once per dialect with named
parameters and executed with values (``db.session.execute(statement, {...})``): building
a select with its joins and unions costs more Python time than PostgreSQL spends
running it. ``insert_once``: the race-safe half of "find, else create";
``dialect_insert``: an ``INSERT`` that can say ``ON CONFLICT``.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime

from sqlalchemy import any_, bindparam, literal_column, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from widget.extensions import db
from widget.models.types import UTCDateTime


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


def _recordset(table, names: tuple[str, ...]):
    """PostgreSQL: ``SELECT <names> FROM json_populate_recordset(NULL::<table>, :rows)``,
    the source of an ``INSERT ... SELECT`` of a whole page (``recordset_page``'s text).

    A multi-row VALUES of a thousand rows is twenty thousand placeholders, which psycopg
    parses again for every page; one array per column is a short text, but psycopg
    still dumps every value in Python. One JSON text is encoded by ``json``'s C encoder
    and decoded by PostgreSQL, into the table's own column types.
    """
    source = text(f"json_populate_recordset(NULL::{table.name}, CAST(:rows AS JSON))")
    return select(*(literal_column(name) for name in names)).select_from(source)


def insert_recordset(table, names: tuple[str, ...]):
    """PostgreSQL: ``INSERT INTO <table> (<names>)`` of a page of rows sent as one JSON
    text (``recordset_page``); the caller adds its ``ON CONFLICT`` and ``RETURNING``."""
    return postgresql.insert(table).from_select(list(names), _recordset(table, names))


@functools.cache
def recordset_insert(table, names: tuple[str, ...], conflict: tuple[str, ...]):
    """``insert_recordset ... ON CONFLICT (...) DO NOTHING RETURNING`` every column; built
    once per table and columns."""
    return (
        insert_recordset(table, names)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(*table.columns)
    )


def recordset_page(table, rows: list[dict]) -> tuple[tuple[str, ...], dict[str, str]]:
    """The column names and the ``:rows`` parameter of ``insert_recordset`` for ``rows``
    (every row with the same keys): the table's Python-side defaults filled in, as one
    JSON text (enums are ``str``: their values)."""
    rows = _with_defaults(table, rows)
    text_ = json.dumps(rows, default=_json_value, separators=(",", ":"))
    return tuple(rows[0]), {"rows": text_}


_UTC_COLUMN = UTCDateTime()


def _json_value(value):
    """A value ``json`` cannot encode, as PostgreSQL reads it into its column."""
    if isinstance(value, datetime):
        # The columns are UTC without a time zone: the column type's own rule.
        return _UTC_COLUMN.process_bind_param(value, None).isoformat()
    raise TypeError(f"{type(value).__name__} cannot go into a recordset")


def _with_defaults(table, rows: list[dict]) -> list[dict]:
    """``rows`` with the values of the table's Python-side column defaults they lack
    (an ``INSERT ... SELECT`` names its columns: the ORM would have filled these)."""
    missing = {}
    for column in table.columns:
        default = column.default
        if default is None or column.primary_key or column.name in rows[0]:
            continue
        if default.is_scalar:
            missing[column.name] = default.arg
        elif default.is_callable:
            missing[column.name] = default.arg(None)
    return [{**missing, **row} for row in rows] if missing else rows
