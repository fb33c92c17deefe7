"""signed-in sessions as rows (sign-out and password changes end them); outbox messages keep
their secret masked and name their deal

Revision ID: a3c9d27e41f6
Revises: 246bd67088df
Create Date: 2026-11-30 09:50:00

"""
import re

import sqlalchemy as sa
from alembic import op

revision = 'a3c9d27e41f6'
down_revision = '246bd67088df'
branch_labels = None
depends_on = None

RESET_LINK = re.compile(r'/password/reset/[A-Za-z0-9_.\-]+')


def upgrade():
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_user_sessions_key_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('deal_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_messages_deal_id'), ['deal_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_deal_id_deals'), 'deals', ['deal_id'], ['id'], ondelete='SET NULL')

    _mask_stored_reset_links()


def _mask_stored_reset_links():
    """Reset links written before this revision are masked in place."""
    outbox = sa.table('outbox_messages', sa.column('id', sa.Integer), sa.column('body', sa.Text))
    bind = op.get_bind()
    rows = bind.execute(sa.select(outbox.c.id, outbox.c.body).where(
        outbox.c.body.contains('/password/reset/'))).all()
    for row_id, body in rows:
        bind.execute(outbox.update().where(outbox.c.id == row_id).values(
            body=RESET_LINK.sub('/password/reset/********', body)))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_deal_id_deals'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_deal_id'))
        batch_op.drop_column('deal_id')
        batch_op.drop_column('secret')

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))

    op.drop_table('user_sessions')
