"""platform_pending_updates: the outbox of platform calls, written with each change

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 10:00:00

"""

import sqlalchemy as sa
from alembic import op

import widget.models.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "platform_pending_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("extension_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "read_status",
                "availability",
                name="platformupdatekind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("message_ids", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", widget.models.types.UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", widget.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["extension_id"],
            ["extensions.id"],
            name=op.f("fk_platform_pending_updates_extension_id_extensions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_pending_updates")),
    )
    with op.batch_alter_table("platform_pending_updates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_platform_pending_updates_not_before"), ["not_before"], unique=False
        )


def downgrade():
    with op.batch_alter_table("platform_pending_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_platform_pending_updates_not_before"))
    op.drop_table("platform_pending_updates")
