"""platform_links (OAuth platform tokens, sync state, webhook subscription per extension);
sms_templates.platform_template_id (templates kept by the platform too); messages.status_note
and pending_sends (outbound messages waiting on a rate limit or a platform outage)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 13:30:00

"""

import sqlalchemy as sa
from alembic import op

import widget.models.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "platform_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("extension_id", sa.Integer(), nullable=False),
        sa.Column("sealed_tokens", sa.Text(), nullable=True),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("refresh_lease_until", widget.models.types.UTCDateTime(), nullable=True),
        sa.Column("reconnect_required", sa.Boolean(), nullable=False),
        sa.Column("sync_token", sa.String(length=512), nullable=True),
        sa.Column("synced_at", widget.models.types.UTCDateTime(), nullable=True),
        sa.Column("older_before", sa.String(length=40), nullable=True),
        sa.Column("subscription_id", sa.String(length=64), nullable=True),
        sa.Column("subscription_expires_at", widget.models.types.UTCDateTime(), nullable=True),
        sa.Column("verification_digest", sa.String(length=64), nullable=True),
        sa.Column("created_at", widget.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["extension_id"],
            ["extensions.id"],
            name=op.f("fk_platform_links_extension_id_extensions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_links")),
        sa.UniqueConstraint("extension_id", name=op.f("uq_platform_links_extension_id")),
    )
    with op.batch_alter_table("platform_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_platform_links_subscription_id"), ["subscription_id"], unique=False
        )
    with op.batch_alter_table("sms_templates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform_template_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_note", sa.String(length=300), nullable=True))
    op.create_table(
        "pending_sends",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", widget.models.types.UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", widget.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_pending_sends_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_pending_sends")),
    )
    with op.batch_alter_table("pending_sends", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_sends_not_before"), ["not_before"], unique=False
        )


def downgrade():
    with op.batch_alter_table("pending_sends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_sends_not_before"))
    op.drop_table("pending_sends")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("status_note")
    with op.batch_alter_table("sms_templates", schema=None) as batch_op:
        batch_op.drop_column("platform_template_id")
    with op.batch_alter_table("platform_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_platform_links_subscription_id"))
    op.drop_table("platform_links")
