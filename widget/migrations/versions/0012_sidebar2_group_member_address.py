"""pager_group_members.address indexed (an inbound text asks whether its sender is in a
group); scheduled_messages keep an MMS picture (its media path, type and name)

Revision ID: 0012_sidebar2
Revises: 0012_rc2
Create Date: 2026-12-03 16:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012_sidebar2"
down_revision = "0012_rc2"
branch_labels = None
depends_on = None


PICTURE_COLUMNS = (("picture_path", 80), ("picture_type", 40), ("picture_name", 120))


def upgrade():
    op.create_index("ix_pager_group_members_address", "pager_group_members", ["address"])
    with op.batch_alter_table("scheduled_messages", schema=None) as batch_op:
        for name, length in PICTURE_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))


def downgrade():
    with op.batch_alter_table("scheduled_messages", schema=None) as batch_op:
        for name, _length in reversed(PICTURE_COLUMNS):
            batch_op.drop_column(name)
    op.drop_index("ix_pager_group_members_address", table_name="pager_group_members")
