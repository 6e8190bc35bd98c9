"""admin console: audit log, manifest drafts, account-wide forced auto-log

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-03 13:50:00

"""

import sqlalchemy as sa
from alembic import op

import widget.models.types

revision = "0011"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "admin_audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("created_at", widget.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["actor_id"], ["extensions.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_admin_audit_account_time", "admin_audit_entries", ["account_id", "created_at"]
    )
    op.create_table(
        "manifest_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("connector_id", sa.String(length=64), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("document_text", sa.Text(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("updated_at", widget.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["extensions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "connector_id", "author_id"),
    )
    with op.batch_alter_table("crm_account_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("force_auto_log", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("crm_account_settings", schema=None) as batch_op:
        batch_op.drop_column("force_auto_log")
    op.drop_table("manifest_drafts")
    op.drop_index("ix_admin_audit_account_time", table_name="admin_audit_entries")
    op.drop_table("admin_audit_entries")
