"""SQL building blocks shared by the services.

``one_of``: the statements every list page runs are built once per dialect with named
parameters and executed with values (``db.session.execute(statement, {...})``): building
a select with its joins and unions costs more Python time than PostgreSQL spends
running it. ``insert_once``: the race-safe half of "find, else create".
"""

from __future__ import annotations

from sqlalchemy import any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from widget.extensions import db


def dialect_name() -> str:
    """Return the name of the database dialect the session talks to."""
    return db.session.get_bind().dialect.name


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
