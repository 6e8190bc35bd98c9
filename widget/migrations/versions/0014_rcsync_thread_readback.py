"""queue_events.from_platform (a change read back from the platform's own app, never
told back to it); platform_links.thread_sync_token (where the read of threads stopped)

Revision ID: 0014_rcsync
Revises: 0013
Create Date: 2026-12-03 19:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014_rcsync"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("queue_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "from_platform", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("platform_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thread_sync_token", sa.String(length=512), nullable=True))


def downgrade():
    with op.batch_alter_table("platform_links", schema=None) as batch_op:
        batch_op.drop_column("thread_sync_token")
    with op.batch_alter_table("queue_events", schema=None) as batch_op:
        batch_op.drop_column("from_platform")
