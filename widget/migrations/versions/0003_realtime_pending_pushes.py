"""realtime_pending_pushes: the outbox of real-time pushes, written with each change

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 11:20:00

"""

import sqlalchemy as sa
from alembic import op

import widget.models.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "realtime_pending_pushes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("extension_id", sa.Integer(), nullable=False),
        sa.Column("message_ids", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("created_at", widget.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["extension_id"],
            ["extensions.id"],
            name=op.f("fk_realtime_pending_pushes_extension_id_extensions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realtime_pending_pushes")),
    )
    with op.batch_alter_table("realtime_pending_pushes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_realtime_pending_pushes_created_at"), ["created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("realtime_pending_pushes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_realtime_pending_pushes_created_at"))
    op.drop_table("realtime_pending_pushes")
