"""crm_activities.moved_from_record_id: a logged day moved to another record, not yet in the CRM

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-03 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("crm_activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moved_from_record_id", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("crm_activities", schema=None) as batch_op:
        batch_op.drop_column("moved_from_record_id")
