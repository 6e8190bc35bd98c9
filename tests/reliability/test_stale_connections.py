"""Pooled connections are pinged before use once idle, and only then (widget/database.py).

Real PostgreSQL: a pooled connection's server process is ended with
``pg_terminate_backend``, as a restart or failover ends it; nothing is mocked.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_URL, make_app
from widget.errors import DATABASE_RETRY_AFTER_SECONDS
from widget.extensions import db
from widget.models import Message
from widget.platforms.sandbox.seed import seed_people

pytestmark = pytest.mark.reliability


def _backend_pid(connection) -> int:
    return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def _terminate(pid: int) -> None:
    admin = sa.create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    finally:
        admin.dispose()


def _pings(engine) -> list:
    """Every ping the dialect sends from now on."""
    sent = []
    original = engine.dialect.do_ping

    def counted(dbapi_connection):
        sent.append(dbapi_connection)
        return original(dbapi_connection)

    engine.dialect.do_ping = counted
    return sent


def _app(postgres_url, tmp_path, idle_ms: int):
    app = make_app(postgres_url, tmp_path, DATABASE_PING_AFTER_IDLE_MS=idle_ms)
    with app.app_context():
        engine = db.engine
    return app, engine


def test_a_connection_used_moments_ago_is_not_pinged(postgres_url, tmp_path):
    app, engine = _app(postgres_url, tmp_path, idle_ms=60_000)
    pings = _pings(engine)
    for _ in range(5):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
    assert pings == []
    engine.dispose()


def test_an_idle_connection_ended_by_the_server_is_replaced_before_use(postgres_url, tmp_path):
    app, engine = _app(postgres_url, tmp_path, idle_ms=0)
    pings = _pings(engine)
    with engine.connect() as conn:
        ended = _backend_pid(conn)
    _terminate(ended)
    with engine.connect() as conn:
        # The ping found the dead connection and the pool opened a new one.
        assert _backend_pid(conn) != ended
    assert len(pings) >= 1
    engine.dispose()


def test_a_connection_ended_inside_the_window_fails_once_then_the_pool_recovers(
    postgres_url, tmp_path
):
    """What the window costs: the one statement that meets the dead connection fails as
    a disconnect (a request answers 503, try again); the pool is invalidated, and the
    next checkout connects afresh without anyone restarting anything."""
    app, engine = _app(postgres_url, tmp_path, idle_ms=60_000)
    with engine.connect() as conn:
        ended = _backend_pid(conn)
    _terminate(ended)
    with pytest.raises(sa.exc.OperationalError) as raised, engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    assert raised.value.connection_invalidated
    with engine.connect() as conn:
        assert _backend_pid(conn) != ended
    engine.dispose()


def test_a_webhook_meeting_a_connection_ended_inside_the_window_is_told_to_retry(
    postgres_url, tmp_path
):
    app, engine = _app(postgres_url, tmp_path, idle_ms=60_000)
    with app.app_context():
        db.create_all()
        alice = next(e for e in seed_people().extensions if e.extension_number == "101")
        to = alice.sms_numbers[0].e164
        db.session.commit()
        db.session.remove()
    client = app.test_client()

    def inbound(text: str):
        return client.post(
            "/sandbox/inbound", json={"from": "+14155550123", "to": to, "text": text}
        )

    assert inbound("before").status_code == 201
    with engine.connect() as conn:  # the pool's one connection, the request's too
        ended = _backend_pid(conn)
    _terminate(ended)
    refused = inbound("meets the ended connection")
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)
    assert inbound("sent again").status_code == 201
    with app.app_context():
        texts = db.session.scalars(sa.select(Message.subject).order_by(Message.id)).all()
    assert texts == ["before", "sent again"], "the refused message changed nothing"
    engine.dispose()
