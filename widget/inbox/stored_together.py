"""PostgreSQL: a new message stored by one statement, with what its receivers read.

One inbound message used to be a statement per step, each a round trip: find or create
the conversation and move its summary (``upsert_statement``), insert the message, then
the receivers' reads. Here the upsert and the insert are two data-modifying CTEs of one
statement, the message taking its conversation's id from the upsert's ``RETURNING``,
and the values registered in ``widget.inbox.read_along`` are selected beside them.
SQLite has no data-modifying CTEs: ``widget.inbox.ingest`` runs the steps one by one.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Connection, bindparam, select

from widget.access import ACTOR_PARAM
from widget.inbox import read_along
from widget.inbox.read_along import ReadAlong
from widget.inbox.summary import upsert_statement
from widget.models import Conversation, Extension, Message
from widget.models.queries import dialect_insert

# Message values are bound under this prefix: their names would collide with the
# conversation's (extension_id, created_at, ...).
MESSAGE_PREFIX = "m_"


def store(
    connection: Connection, owner: Extension, row: dict, values: dict
) -> tuple[dict, int | None, dict[str, Any]]:
    """Upsert the conversation ``row`` (``conversation_row``) and insert the message of
    ``values`` (every column but its id and its conversation's).

    Returns the conversation's columns as stored, the message's id (None when a message
    of that platform id is stored already) and the read-along values (name → value).
    """
    reads = read_along.registered()
    statement = _statement(tuple(row), tuple(values), reads)
    params = {**row, **{MESSAGE_PREFIX + key: value for key, value in values.items()}}
    params[ACTOR_PARAM] = owner.id
    for read in reads:
        if read.params is not None:
            params.update(read.params(owner, row, values))
    returned = connection.execute(statement, params).one()._asdict()
    message_id = returned.pop("message_id")
    values_read = read_along.taken_from(returned, reads)
    return returned, message_id, values_read


@functools.cache
def _statement(
    conversation_keys: tuple[str, ...], message_keys: tuple[str, ...], reads: tuple[ReadAlong, ...]
):
    """Built once per set of keys and read-alongs (building it costs more than running it)."""
    conversations = Conversation.__table__
    upserted = upsert_statement(
        core=True,
        values={key: bindparam(key, type_=conversations.c[key].type) for key in conversation_keys},
    ).cte("upserted")
    messages = Message.__table__
    inserted = (
        dialect_insert(messages)
        .from_select(
            [*message_keys, "conversation_id"],
            select(
                *(
                    bindparam(MESSAGE_PREFIX + key, type_=messages.c[key].type)
                    for key in message_keys
                ),
                upserted.c.id,
            ),
        )
        .on_conflict_do_nothing(index_elements=["platform", "platform_message_id"])
        .returning(messages.c.id)
        .cte("inserted")
    )
    return select(
        upserted,
        select(inserted.c.id).scalar_subquery().label("message_id"),
        *(read.expression(upserted).label(read_along.label(read)) for read in reads),
    )
