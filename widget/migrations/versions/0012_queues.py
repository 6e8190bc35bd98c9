"""shared SMS inboxes: queues, members, cases and their events; extensions.kind

Revision ID: 0012_queues
Revises: 0012_sidebar2
Create Date: 2026-12-03 16:30:00

"""

import sqlalchemy as sa
from alembic import op

import widget.models.types

revision = "0012_queues"
down_revision = "0012_sidebar2"
branch_labels = None
depends_on = None

REASONS = ("Resolved", "No response", "Spam", "Other", "Timed out")
KINDS = (
    "arrived",
    "claimed",
    "released",
    "transferred",
    "resolved",
    "timed_out",
    "reopened",
    "overflowed",
    "note",
)


def upgrade():
    with op.batch_alter_table("extensions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="User", nullable=False)
        )
    op.create_table(
        "queues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("extension_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("claim_timeout_minutes", sa.Integer(), nullable=True),
        sa.Column("no_reply_timeout_minutes", sa.Integer(), nullable=True),
        sa.Column("idle_resolve_hours", sa.Integer(), nullable=True),
        sa.Column("overflow_queue_id", sa.Integer(), nullable=True),
        sa.Column("created_at", widget.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["extension_id"], ["extensions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["overflow_queue_id"], ["queues.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "name"),
        sa.UniqueConstraint("extension_id"),
    )
    op.create_table(
        "queue_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("extension_id", sa.Integer(), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("joined_at", widget.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["extension_id"], ["extensions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["queue_id"], ["queues.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("queue_id", "extension_id"),
    )
    op.create_index("ix_queue_members_extension_id", "queue_members", ["extension_id"])
    op.create_table(
        "queue_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("first_message_id", sa.Integer(), nullable=True),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", widget.models.types.UTCDateTime(), nullable=True),
        sa.Column("resolved_at", widget.models.types.UTCDateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "resolve_reason",
            sa.Enum(*REASONS, name="resolvereason", native_enum=False, create_constraint=True),
            nullable=True,
        ),
        sa.Column("resolve_text", sa.String(length=500), nullable=True),
        sa.Column("opened_at", widget.models.types.UTCDateTime(), nullable=False),
        sa.Column("waiting_since", widget.models.types.UTCDateTime(), nullable=True),
        sa.Column("notified_at", widget.models.types.UTCDateTime(), nullable=True),
        sa.Column("last_customer_at", widget.models.types.UTCDateTime(), nullable=True),
        sa.Column("reply_due_since", widget.models.types.UTCDateTime(), nullable=True),
        sa.Column("last_agent_reply_at", widget.models.types.UTCDateTime(), nullable=True),
        sa.Column("last_message_at", widget.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["claimed_by_id"], ["extensions.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["first_message_id"], ["messages.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["previous_id"], ["queue_conversations.id"], ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["queue_id"], ["queues.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["extensions.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_queue_conversations_conversation_id", "queue_conversations", ["conversation_id"]
    )
    op.create_index(
        "uq_queue_conversations_open",
        "queue_conversations",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.create_index(
        "ix_queue_conversations_queue_open",
        "queue_conversations",
        ["queue_id", "resolved_at", "claimed_by_id"],
    )
    op.create_index(
        "ix_queue_conversations_claimer", "queue_conversations", ["claimed_by_id", "resolved_at"]
    )
    op.create_table(
        "queue_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue_conversation_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="queueeventkind", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=True),
        sa.Column("target_extension_id", sa.Integer(), nullable=True),
        sa.Column("target_queue_id", sa.Integer(), nullable=True),
        sa.Column("target_name", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", widget.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["extensions.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["queue_conversation_id"], ["queue_conversations.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["target_extension_id"], ["extensions.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["target_queue_id"], ["queues.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["queue_id"], ["queues.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_queue_events_case", "queue_events", ["queue_conversation_id", "id"])


def downgrade():
    op.drop_index("ix_queue_events_case", table_name="queue_events")
    op.drop_table("queue_events")
    op.drop_index("ix_queue_conversations_claimer", table_name="queue_conversations")
    op.drop_index("ix_queue_conversations_queue_open", table_name="queue_conversations")
    op.drop_index("uq_queue_conversations_open", table_name="queue_conversations")
    op.drop_index("ix_queue_conversations_conversation_id", table_name="queue_conversations")
    op.drop_table("queue_conversations")
    op.drop_index("ix_queue_members_extension_id", table_name="queue_members")
    op.drop_table("queue_members")
    op.drop_table("queues")
    with op.batch_alter_table("extensions", schema=None) as batch_op:
        batch_op.drop_column("kind")
