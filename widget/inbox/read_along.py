"""Values other steps of a new message need, read by the statement that stores it.

After a new message is stored, the receivers of its change read a few values of its
mailbox in the same transaction: the real-time frame shows the tab counts, the auto-log
receiver needs the owner's switch. Each was a statement of its own, and on PostgreSQL a
statement's round trip costs about what running it does. So a capability registers a
``ReadAlong`` (``register``): a scalar expression of the mailbox's owner, which the
statement storing a new message (``widget.inbox.ingest``) selects beside what it
returns, and a conversion of the value. The values reach ``messages_staged``'s receivers
as ``read_along`` (name → value); a receiver that finds no value for its name (SQLite, a
page of records, an update) reads it itself, as before.

Expressions bind the owner as ``widget.access.ACTOR_PARAM`` (and what their ``params``
give), and may use the statement's ``upserted`` CTE (the conversation as this statement
leaves it): the statement's own change is not visible to the rest of it, PostgreSQL
evaluating every part of one statement on the same snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.sql.selectable import CTE

from widget.models import Extension


@dataclass(frozen=True)
class ReadAlong:
    """One value read along: ``name`` as the receivers know it, its ``expression`` built
    from the statement's ``upserted`` CTE, ``convert`` applied to what comes back, and
    ``params``: what the expression binds besides the owner's id, from the owner, the
    conversation's row and the message's values (``widget.inbox.stored_together``)."""

    name: str
    expression: Callable[[CTE], ColumnElement]
    convert: Callable[[Any], Any] = lambda value: value
    params: Callable[[Extension, dict, dict], dict] | None = None


_registered: dict[str, ReadAlong] = {}


def register(read_along: ReadAlong) -> None:
    """Read ``read_along`` with every new message from now on (once per name: a second
    application in the process registers the same one again)."""
    _registered[read_along.name] = read_along


def registered() -> tuple[ReadAlong, ...]:
    """What the statement storing a new message selects besides its own columns, in a
    stable order (the statement is built once per set)."""
    return tuple(_registered[name] for name in sorted(_registered))


def label(read_along: ReadAlong) -> str:
    """The column the statement returns ``read_along``'s value in."""
    return f"read_along_{read_along.name}"


def taken_from(row: dict, reads: tuple[ReadAlong, ...]) -> dict[str, Any]:
    """Pop the read-along columns out of ``row``: name → converted value."""
    return {read.name: read.convert(row.pop(label(read))) for read in reads}
