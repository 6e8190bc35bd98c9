"""a case's activity remembers how far the user chose its messages:
crm_activities.chosen_through_message_id

Revision ID: 0014_queues3
Revises: 0014_rcsync
Create Date: 2026-12-03 20:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014_queues3"
down_revision = "0014_rcsync"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("crm_activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chosen_through_message_id", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("crm_activities", schema=None) as batch_op:
        batch_op.drop_column("chosen_through_message_id")
