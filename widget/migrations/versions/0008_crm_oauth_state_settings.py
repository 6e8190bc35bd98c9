"""crm_oauth_states.settings: choices made before an OAuth sign-in (e.g. Clio's region)

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-03 13:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("crm_oauth_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settings", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("crm_oauth_states", schema=None) as batch_op:
        batch_op.drop_column("settings")
