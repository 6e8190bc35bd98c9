"""extensions.session_epoch: sign-out revokes every session and widget token

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 11:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("extensions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("extensions", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
