"""Session objects from plain column values, without the ORM's loading machinery.

The hot write paths (one inbound message) run Core statements that return the columns
they need (``RETURNING``, or a per-process cache of them) and hand the values here. What
comes back is an ordinary persistent instance of the session: receivers, pushes and
templates use it like any loaded object, and an attribute that was not given is expired,
so touching it loads it like any expired attribute. What this skips is the ORM's row
processing and identity bookkeeping per statement (``populate_existing``, the bulk
``INSERT ... RETURNING`` path), which cost over a millisecond of CPU per statement.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from sqlalchemy import inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from widget.extensions import db

T = TypeVar("T")


def column_keys(model) -> tuple[str, ...]:
    """The mapped column attributes of ``model``, in table order."""
    return tuple(attr.key for attr in inspect(model).column_attrs)


def returned_columns(model, keys: tuple[str, ...] | None = None) -> list:
    """The table columns behind ``keys`` (every mapped column by default), for ``RETURNING``."""
    table = model.__table__
    return [table.c[key] for key in keys or column_keys(model)]


def attach(model: type[T], values: Mapping, refresh: bool = True) -> T:
    """The session's instance of ``model`` for this row, holding ``values`` as committed.

    An instance the session holds already takes the values when ``refresh`` (they were
    just read or written, so they are the newest) and is returned as it is otherwise
    (values remembered from earlier are not newer than what the session holds); else a
    new one is made persistent without a ``SELECT``. ``values`` must hold ``id``.
    """
    session = db.session()
    key = session.identity_key(model, values["id"])
    existing = session.identity_map.get(key)
    if existing is not None:
        if not refresh:
            return existing
        for name, value in values.items():
            set_committed_value(existing, name, value)
        return existing
    instance = inspect(model).class_manager.new_instance()
    instance.__dict__.update(values)
    # Marks the given values committed and expires every other attribute.
    make_transient_to_detached(instance)
    session.add(instance)
    return instance
