"""The event log: numbered frames per channel, kept so reconnecting clients catch up.

``append`` runs inside the publisher's transaction: the frame is numbered and stored
by the same commit, then published. ``catch_up`` answers "I saw up to N": the frames
after N in order, or ``refresh`` when they are too many (or gone, or from another
database), in which case the client reloads its views instead of replaying.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import String, Text, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from widget.extensions import db
from widget.models import RealtimeChannel, RealtimeEvent
from widget.models.types import UTCDateTime, utcnow

# More missed events than this and a reload of the list is cheaper than the replay.
CATCH_UP_LIMIT = 100
# Events kept per channel; older ones are pruned as new ones arrive.
RETAIN = 500
PRUNE_EVERY = 50

_CHANNEL = re.compile(r"^(ext|queue):[1-9][0-9]{0,17}$")


def is_channel(name: str) -> bool:
    return bool(_CHANNEL.match(name))


def ext_channel(extension_id: int) -> str:
    return f"ext:{extension_id}"


def queue_channel(queue_id: int) -> str:
    return f"queue:{queue_id}"


# Every push runs these: built once, executed with values (building costs more CPU
# than running them). Core statements on the tables: nothing needs the rows as objects.
_CHANNELS = RealtimeChannel.__table__
_EVENTS = RealtimeEvent.__table__
_BUMP = (
    update(_CHANNELS)
    .where(_CHANNELS.c.name == bindparam("channel"))
    .values(last_seq=_CHANNELS.c.last_seq + 1)
    .returning(_CHANNELS.c.last_seq)
)
_STORE = insert(_EVENTS)


def _bump_and_store_statement():
    """PostgreSQL only: number and store the event in one round trip (a data-modifying
    CTE; SQLite has none). No row when the channel's counter row does not exist yet."""
    bumped = _BUMP.cte("bumped")
    numbered = select(
        bindparam("channel", type_=String),
        bumped.c.last_seq,
        bindparam("kind", type_=String),
        bindparam("html", type_=Text),
        bindparam("created_at", type_=UTCDateTime),
    )
    return (
        insert(_EVENTS)
        .from_select(["channel", "seq", "kind", "html", "created_at"], numbered)
        .returning(_EVENTS.c.seq)
    )


_BUMP_AND_STORE = _bump_and_store_statement()


def _create_channel(channel: str) -> None:
    dialect = db.session.get_bind().dialect.name
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        dialect_insert(RealtimeChannel).values(name=channel, last_seq=0).on_conflict_do_nothing()
    )


def _next_seq(channel: str) -> int:
    """Take the channel's next number; the lock on its counter row lasts until commit."""
    seq = db.session.execute(_BUMP, {"channel": channel}).scalar()
    if seq is not None:
        return seq
    _create_channel(channel)
    return db.session.execute(_BUMP, {"channel": channel}).scalar_one()


def _store(channel: str, kind: str, html: str) -> int:
    """Number and store the event; return its number."""
    values = {"channel": channel, "kind": kind, "html": html, "created_at": utcnow()}
    # Core statements on tables: run on the session's connection (same transaction),
    # without the ORM's execution layer, which would find nothing to do for them.
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        seq = connection.execute(_BUMP_AND_STORE, values).scalar()
        if seq is not None:
            return seq
        _create_channel(channel)  # the channel's first event
        return connection.execute(_BUMP_AND_STORE, values).scalar_one()
    seq = _next_seq(channel)
    connection.execute(_STORE, {**values, "seq": seq})
    return seq


def append(channel: str, kind: str, html: str) -> int:
    """Store ``html`` as the channel's next event (the caller commits); return its number."""
    seq = _store(channel, kind, html)
    if seq % PRUNE_EVERY == 0 and seq > RETAIN:
        db.session.execute(
            delete(RealtimeEvent).where(
                RealtimeEvent.channel == channel, RealtimeEvent.seq <= seq - RETAIN
            )
        )
    return seq


def latest(channels: list[str]) -> dict[str, int]:
    """The last event number of each channel (0 for a channel with no events yet)."""
    found = dict(
        db.session.execute(
            select(RealtimeChannel.name, RealtimeChannel.last_seq).where(
                RealtimeChannel.name.in_(channels)
            )
        ).all()
    )
    return {channel: found.get(channel, 0) for channel in channels}


@dataclass
class CatchUp:
    """What one channel's client missed: ``events`` to replay, or ``refresh``."""

    channel: str
    position: int  # the channel's position once this is applied
    events: list[tuple[int, str]] = field(default_factory=list)
    refresh: bool = False


def catch_up(channel: str, seen: int | None, limit: int | None = None) -> CatchUp:
    """The events of ``channel`` after ``seen``; None starts from now (a fresh client)."""
    limit = CATCH_UP_LIMIT if limit is None else limit
    newest = latest([channel])[channel]
    if seen is None or seen == newest:
        return CatchUp(channel, newest)
    if seen > newest:
        # A number from another database (restored backup, new install): reload.
        return CatchUp(channel, newest, refresh=True)
        return CatchUp(channel, newest)
    if newest - seen > limit:
        return CatchUp(channel, newest, refresh=True)
    rows = db.session.execute(
        select(RealtimeEvent.seq, RealtimeEvent.html)
        .where(RealtimeEvent.channel == channel, RealtimeEvent.seq > seen)
        .order_by(RealtimeEvent.seq)
    ).all()
    if not rows or rows[0][0] != seen + 1 or rows[-1][0] != newest:
        return CatchUp(channel, newest, refresh=True)  # pruned meanwhile
    return CatchUp(channel, newest, events=[(seq, html) for seq, html in rows])


def parse_positions(raw: str, own_channel: str) -> dict[str, int] | None:
    """Read a ``last_event_id`` parameter: ``"41"`` (the extension's channel) or
    ``"ext:7@41,queue:3@12"``. Returns None when it is malformed."""
    raw = raw.strip()
    if not raw:
        return {}
    if raw.isdigit() and len(raw) <= 18:
        return {own_channel: int(raw)}
    positions: dict[str, int] = {}
    for item in raw.split(",")[:20]:
        channel, sep, seq = item.strip().rpartition("@")
        if not sep or not is_channel(channel) or not seq.isdigit() or len(seq) > 18:
            return None
        positions[channel] = int(seq)
    return positions
