"""message search: full-text index over message text and voicemail transcriptions

PostgreSQL gets a GIN index on the text's tsvector; SQLite an FTS5 table kept in step
by triggers, filled with what the table already holds (see widget/models/search.py).

Revision ID: 0006
Revises: 0011
Create Date: 2026-12-03 13:45:00

"""

from alembic import op

from widget.models.search import (
    POSTGRESQL_DDL,
    SEARCH_INDEX,
    SEARCH_TABLE,
    SQLITE_DDL,
    SQLITE_REBUILD,
)

revision = "0006"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_DDL:
            op.execute(statement)
        return
    for statement in SQLITE_DDL:
        op.execute(statement)
    op.execute(SQLITE_REBUILD)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX}")
        return
    for suffix in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS {SEARCH_TABLE}_{suffix}")
    op.execute(f"DROP TABLE IF EXISTS {SEARCH_TABLE}")
