"""refunds remember the one-time nonce of the staff action that asked for them, so a second
POST of the same form is recognised and answered with the first result

Revision ID: b3d41c7e9a52
Revises: 8c3d1f2a9b47
Create Date: 2026-11-30 09:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b3d41c7e9a52'
down_revision = '8c3d1f2a9b47'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payment_ledger', schema=None) as batch_op:
        batch_op.add_column(sa.Column('action_nonce', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_payment_ledger_action_nonce'),
                                          ['action_nonce'])


def downgrade():
    with op.batch_alter_table('payment_ledger', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_payment_ledger_action_nonce'), type_='unique')
        batch_op.drop_column('action_nonce')
