"""rc2: rate-limit blocks shared across processes; webhook notifications already taken

Revision ID: 0012_rc2
Revises: 0009
Create Date: 2026-12-03 16:40:00

"""

import sqlalchemy as sa
from alembic import op

import widget.models.types

revision = "0012_rc2"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "platform_rate_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_key", sa.String(length=64), nullable=False),
        sa.Column("throttle_group", sa.String(length=16), nullable=False),
        sa.Column("blocked_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_key", "throttle_group"),
    )
    op.create_table(
        "webhook_receipts",
        sa.Column("notification_uuid", sa.String(length=64), nullable=False),
        sa.Column("received_at", widget.models.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("notification_uuid"),
    )
    op.create_index("ix_webhook_receipts_received_at", "webhook_receipts", ["received_at"])


def downgrade():
    op.drop_index("ix_webhook_receipts_received_at", table_name="webhook_receipts")
    op.drop_table("webhook_receipts")
    op.drop_table("platform_rate_blocks")
