"""each party names the person who signs its contract (name and title)

Revision ID: e5a8c2d71f30
Revises: c51e7a2d9b34
Create Date: 2026-11-30 10:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e5a8c2d71f30'
down_revision = 'c51e7a2d9b34'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signatories', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_column('signatories')
