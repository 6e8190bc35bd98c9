"""Pooled database connections, checked before use only when they may have gone stale.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` at every checkout: a round trip per
request, about 6 % of an inbound message's time on PostgreSQL. A connection handed back
to the pool moments ago is as good as the statement that last used it; only one that
has sat idle can have met a server restart, a failover or an idle timeout meanwhile.
So the ping runs when a connection has been idle ``DATABASE_PING_AFTER_IDLE_MS`` or
longer (0 pings at every checkout, as ``pool_pre_ping`` did); a ping that fails replaces
the connection before the request sees it.

A server that goes away inside that window is still noticed at once: the request's
first statement fails as a disconnect, SQLAlchemy invalidates every pooled connection
opened before it, and the request answers 503 "try again" (``widget.errors``), which
a webhook sender retries; the next request connects afresh.
"""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

from widget.extensions import db

# Where a pooled connection's record keeps when it was last handed back (or opened).
_IDLE_SINCE = "sidetalk_idle_since"


def init_app(app: Flask) -> None:
    """Check the application's pooled connections before use once they have been idle."""
    idle = app.config["DATABASE_PING_AFTER_IDLE_MS"] / 1000
    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        ping_when_idle(engine, idle)


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping ``engine``'s connections at checkout once idle ``idle_seconds`` or longer."""
    pool = engine.pool

    @event.listens_for(pool, "connect")
    def _opened(_dbapi_connection, record) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(pool, "checkin")
    def _handed_back(_dbapi_connection, record) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is not None and time.monotonic() - since < idle_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if not engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise
            alive = False
        if not alive:
            # The pool drops this connection and checks out another (a new one if needed).
            raise DisconnectionError("the pooled connection was closed by the server")
