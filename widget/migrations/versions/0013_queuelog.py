"""a shared-inbox case is one CRM activity: crm_activities.queue_conversation_id;
queue_thread_links (a case mirrored to a RingCentral message thread)

The daily rule (one activity per extension, conversation, day and record) now keeps
daily rows only; a case's rows are unique per (case, record).

Revision ID: 0013
Revises: 0012_queues
Create Date: 2026-12-03 17:00:00

"""

import sqlalchemy as sa
from alembic import op

import widget.models.types

revision = "0013"
down_revision = "0012_queues"
branch_labels = None
depends_on = None

OLD_UNIQUE = "uq_crm_activities_extension_id_conversation_id_log_date_record_id"
DAILY = ("extension_id", "conversation_id", "log_date", "record_id")
DAILY_ONLY = sa.text("queue_conversation_id IS NULL")


def _daily_unique_name() -> str:
    """The name the database gave 0001's daily constraint (PostgreSQL cut it to 63)."""
    found = sa.inspect(op.get_bind()).get_unique_constraints("crm_activities")
    return next(uc["name"] for uc in found if uc["column_names"] == list(DAILY))


def upgrade():
    old_unique = _daily_unique_name()
    op.create_table(
        "queue_thread_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue_conversation_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.String(length=64), nullable=True),
        sa.Column("mirrored_event_id", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("not_before", widget.models.types.UTCDateTime(), nullable=True),
        sa.Column("updated_at", widget.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["queue_conversation_id"], ["queue_conversations.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("queue_conversation_id"),
    )
    with op.batch_alter_table("crm_activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queue_conversation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_crm_activities_queue_conversation_id_queue_conversations"),
            "queue_conversations",
            ["queue_conversation_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_constraint(old_unique, type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_crm_activities_queue_conversation_id_record_id"),
            ["queue_conversation_id", "record_id"],
        )
    op.create_index(
        "uq_crm_activities_daily",
        "crm_activities",
        list(DAILY),
        unique=True,
        sqlite_where=DAILY_ONLY,
        postgresql_where=DAILY_ONLY,
    )


def downgrade():
    op.drop_table("queue_thread_links")
    op.drop_index("uq_crm_activities_daily", table_name="crm_activities")
    with op.batch_alter_table("crm_activities", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_crm_activities_queue_conversation_id_record_id"), type_="unique"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_crm_activities_queue_conversation_id_queue_conversations"),
            type_="foreignkey",
        )
        batch_op.drop_column("queue_conversation_id")
        batch_op.create_unique_constraint(op.f(OLD_UNIQUE), list(DAILY))
