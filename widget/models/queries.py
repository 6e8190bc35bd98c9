"""SQL building blocks for the statements every list page runs.

Those statements are built once per dialect with named parameters and executed with
values (``db.session.execute(statement, {...})``): building a select with its joins and
unions costs more Python time than PostgreSQL spends running it.
"""

from __future__ import annotations

from sqlalchemy import any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement

from widget.extensions import db


def dialect_name() -> str:
    """Return the name of the database dialect the session talks to."""
    return db.session.get_bind().dialect.name


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
