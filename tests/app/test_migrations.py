"""Alembic migrations build, from nothing, exactly the schema the models describe."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from widget import create_app
from widget.config import TestConfig
from widget.extensions import db
from widget.models import is_search_object


@pytest.fixture
def app_on(tmp_path):
    """Build an application on a given (empty) database; dispose its engine afterwards."""
    apps = []

    def build(database_url: str):
        os.environ["SIDETALK_INSTANCE_PATH"] = str(tmp_path / "instance")
        try:
            app = create_app(TestConfig(database_url, str(tmp_path / "media")))
        finally:
            os.environ.pop("SIDETALK_INSTANCE_PATH", None)
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _differences(app) -> list[str]:
    """What autogenerate would still change: readable, so a failure names the tables."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "render_as_batch": True,
                # The full-text index is no model object: migration 0006 owns it.
                "include_name": lambda name, type_, parents: not is_search_object(name),
            },
        )
        found = []
        for diff in compare_metadata(context, db.metadata):
            if isinstance(diff, list):  # column modifications come grouped
                found += [f"{d[0]} {d[2]}.{d[3]}" for d in diff]
            else:
                found.append(f"{diff[0]} {getattr(diff[1], 'name', diff[1:3])}")
        return found


def _upgrade_and_compare(app) -> None:
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
    assert {"accounts", "extensions", "conversations", "messages", "attachments"} <= tables
    assert "alembic_version" in tables
    assert _differences(app) == []


def test_upgrade_from_an_empty_sqlite_database(app_on, tmp_path):
    _upgrade_and_compare(app_on(f"sqlite:///{tmp_path / 'empty.db'}"))


@pytest.mark.postgres
def test_upgrade_from_an_empty_postgresql_schema(app_on, postgres_url):
    _upgrade_and_compare(app_on(postgres_url))


def test_upgrade_twice_is_a_no_op(app_on, tmp_path):
    app = app_on(f"sqlite:///{tmp_path / 'twice.db'}")
    with app.app_context():
        upgrade()
        upgrade()
        versions = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars()
        assert len(list(versions)) == 1


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_session_epoch_migration_keeps_existing_users_signed_in(
    app_on, tmp_path, request, database
):
    """0001 → 0002 on a database with a user: the user gets generation 0, as tokens have."""
    if database == "sqlite":
        url = f"sqlite:///{tmp_path / 'users.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    app = app_on(url)
    with app.app_context():
        upgrade(revision="0001")
        db.session.execute(
            text(
                "INSERT INTO accounts (id, platform, platform_account_id, name, created_at) "
                "VALUES (1, 'sandbox', 'a', 'Co', CURRENT_TIMESTAMP)"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO extensions (id, account_id, platform_extension_id, "
                "extension_number, name, timezone, is_admin, created_at) "
                "VALUES (1, 1, 'e', '101', 'Alice', 'UTC', false, CURRENT_TIMESTAMP)"
            )
        )
        db.session.commit()
        upgrade()
        epoch = db.session.execute(text("SELECT session_epoch FROM extensions")).scalar_one()
    assert epoch == 0
    assert _differences(app) == []
