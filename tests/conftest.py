"""Shared fixtures: ``app``, ``client``, ``db``, a seeded demo, and real database servers.

Each test gets its own SQLite file. The demo account (people and 30 days of history,
generated media included) is seeded once per session into a template file that each
test copies, so tests start from the real demo without paying for it every time.
PostgreSQL and Redis tests use the servers on 127.0.0.1; locally they skip with a
reason when a server is absent, and on CI (``CI=true``) they fail instead.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from widget import create_app
from widget.config import TestConfig
from widget.extensions import db as _db

# The hand-built mailbox fixtures (``mailbox``, ``any_db_mailbox``, ``demo_db``) serve
# several test folders, so they live in a module of their own.
pytest_plugins = ("tests.mailbox",)

ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POSTGRES_URL = os.environ.get(
    "SIDETALK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("SIDETALK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def require_server(name: str, host: str, port: int) -> None:
    """Skip (locally) or fail (on CI) when the named server is not reachable."""
    if _port_open(host, port):
        return
    message = f"{name} is not running on {host}:{port}"
    if ON_CI:
        pytest.fail(f"{message}; CI must run these tests, not skip them")
    pytest.skip(message)


def make_app(database_url: str, tmp_path: Path, **overrides):
    config = TestConfig(database_url=database_url, media_dir=str(tmp_path / "media"))
    for key, value in overrides.items():
        setattr(config, key, value)
    os.environ["SIDETALK_INSTANCE_PATH"] = str(tmp_path / "instance")
    try:
        return create_app(config)
    finally:
        os.environ.pop("SIDETALK_INSTANCE_PATH", None)


def _seed_demo_into(root: Path) -> None:
    app = make_app(f"sqlite:///{root / 'demo.db'}", root)
    with app.app_context():
        _db.create_all()
        from widget.demo import seed_demo

        seed_demo()
        _db.session.remove()
        _db.engine.dispose()


@contextmanager
def _exclusive(lock_path: Path):
    """Hold an exclusive lock on ``lock_path`` (one pytest-xdist worker at a time)."""
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, worker_id):
    """A SQLite file and media folder holding the seeded demo, built once per run.

    Seeding takes seconds, so pytest-xdist workers share the first worker's copy (in
    the run's common temporary folder); tests only ever copy it.
    """
    if worker_id == "master":
        root = tmp_path_factory.mktemp("demo-template")
        _seed_demo_into(root)
        return root
    shared = tmp_path_factory.getbasetemp().parent / "demo-template"
    with _exclusive(shared.with_suffix(".lock")):
        if not (shared / "seeded").exists():
            shutil.rmtree(shared, ignore_errors=True)
            shared.mkdir()
            _seed_demo_into(shared)
            (shared / "seeded").touch()
    return shared


@pytest.fixture(scope="session")
def empty_template(tmp_path_factory):
    """A SQLite file with every table and no rows, built once per session."""
    root = tmp_path_factory.mktemp("empty-template")
    app = make_app(f"sqlite:///{root / 'empty.db'}", root)
    with app.app_context():
        _db.create_all()
        _db.session.remove()
        _db.engine.dispose()
    return root / "empty.db"


@pytest.fixture
def app(tmp_path, empty_template):
    """An application on a private copy of an empty SQLite database with every table."""
    shutil.copy(empty_template, tmp_path / "test.db")
    application = make_app(f"sqlite:///{tmp_path / 'test.db'}", tmp_path)
    yield application
    with application.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def demo_app(tmp_path, demo_template):
    """An application on a private copy of the seeded demo database."""
    shutil.copy(demo_template / "demo.db", tmp_path / "test.db")
    shutil.copytree(demo_template / "media", tmp_path / "media")
    application = make_app(f"sqlite:///{tmp_path / 'test.db'}", tmp_path)
    yield application
    with application.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def demo_ctx(demo_app):
    """An application context on a private copy of the seeded demo."""
    with demo_app.app_context():
        yield demo_app


@pytest.fixture
def ext(demo_ctx):
    """Return the demo extension with the given number (``ext("101")``)."""
    from sqlalchemy import select

    from widget.models import Extension

    def find(number: str) -> Extension:
        return _db.session.scalars(
            select(Extension).where(Extension.extension_number == number)
        ).one()

    return find


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo_client(demo_app):
    return demo_app.test_client()


@pytest.fixture
def db(app):
    with app.app_context():
        yield _db


@pytest.fixture
def postgres_url():
    """A fresh PostgreSQL schema for one test; dropped afterwards."""
    require_server("PostgreSQL", "127.0.0.1", 5432)
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def pg_app(postgres_url, tmp_path):
    application = make_app(postgres_url, tmp_path)
    with application.app_context():
        _db.create_all()
    yield application
    with application.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def redis_url():
    require_server("Redis", "127.0.0.1", 6379)
    return REDIS_URL
