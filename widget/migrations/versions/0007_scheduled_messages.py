"""scheduled_messages: texts written now, sent by the worker at the chosen time

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:35:43.565922

"""
from alembic import op
import sqlalchemy as sa

import widget.models.types

revision = '0007'
# After 0006 (numbers were handed out per helper; the chain is what counts).
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scheduled_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('extension_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=True),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('sender', sa.String(length=20), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('send_at', widget.models.types.UTCDateTime(), nullable=False),
    sa.Column('state', sa.Enum('scheduled', 'sending', 'sent', 'failed', 'cancelled', name='schedulestate', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('sent_message_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', widget.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', widget.models.types.UTCDateTime(), nullable=False),
    sa.Column('claimed_at', widget.models.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_scheduled_messages_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['extension_id'], ['extensions.id'], name=op.f('fk_scheduled_messages_extension_id_extensions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_messages'))
    )
    with op.batch_alter_table('scheduled_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scheduled_messages_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index('ix_scheduled_messages_due', ['state', 'send_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_scheduled_messages_extension_id'), ['extension_id'], unique=False)



def downgrade():
    with op.batch_alter_table('scheduled_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheduled_messages_extension_id'))
        batch_op.drop_index('ix_scheduled_messages_due')
        batch_op.drop_index(batch_op.f('ix_scheduled_messages_conversation_id'))

    op.drop_table('scheduled_messages')
