"""What the benchmarks share: the application as the tests build it, a signed-in
widget's headers, a log of the SQL statements a request runs, and a fresh PostgreSQL
schema (or why there is none)."""

from __future__ import annotations

import os
import socket
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import sqlalchemy as sa
from sqlalchemy import event

from bench.inbox_people import TARGET_EXTENSION
from widget import create_app, htmx_support
from widget.config import TestConfig
from widget.extensions import db

POSTGRES_URL = os.environ.get(
    "SIDETALK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def make_app(url: str, root: Path):
    """The application as the tests build it: fixed secrets, sandbox platform."""
    config = TestConfig(database_url=url, media_dir=str(root / "media"))
    previous = os.environ.get("SIDETALK_INSTANCE_PATH")
    os.environ["SIDETALK_INSTANCE_PATH"] = str(root / "instance")
    try:
        return create_app(config)
    finally:
        if previous is None:
            os.environ.pop("SIDETALK_INSTANCE_PATH", None)
        else:
            os.environ["SIDETALK_INSTANCE_PATH"] = previous


def sign_in(client) -> dict[str, str]:
    """Sign in as extension 101; return the headers an htmx call from the widget sends.

    The widget token is issued directly (what the sign-in page's redirect carries), so
    the benchmark needs nothing from the test suite.
    """
    from widget import security
    from widget.models import Extension

    app = client.application
    with app.test_request_context():
        ext = db.session.scalar(
            sa.select(Extension).where(Extension.extension_number == TARGET_EXTENSION)
        )
        token = security.issue_widget_token(
            security.Identity(ext.id, "bench-csrf", epoch=ext.session_epoch)
        )
    return {
        htmx_support.CSRF_HEADER: "bench-csrf",
        htmx_support.TOKEN_HEADER: token,
        "HX-Request": "true",
    }


class StatementLog:
    """Every SQL statement the engine runs while ``recording`` is on."""

    def __init__(self, engine) -> None:
        self.recording = False
        self.statements: list[tuple[str, object]] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.recording:
            self.statements.append((statement, parameters))

    @contextmanager
    def capture(self):
        self.statements = []
        self.recording = True
        try:
            yield self.statements
        finally:
            self.recording = False


@contextmanager
def postgres_schema():
    """A fresh schema on the PostgreSQL server; yields its URL; dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def postgres_unreachable() -> str | None:
    parsed = urlparse(POSTGRES_URL.replace("+psycopg", ""))
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 5432
    try:
        with socket.create_connection((host, port), timeout=1):
            pass
    except OSError as exc:
        return f"PostgreSQL is not reachable at {host}:{port} ({exc})"
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect():
            return None
    except sa.exc.OperationalError as exc:
        return f"cannot connect to {POSTGRES_URL}: {str(exc.orig).strip()}"
    finally:
        engine.dispose()


def sync_sequences(tables: tuple[str, ...]) -> None:
    """Explicit ids leave PostgreSQL sequences behind; move them past the seeded rows."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in tables:
        db.session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        )
