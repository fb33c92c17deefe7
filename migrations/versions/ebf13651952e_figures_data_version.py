"""the programme figures' data version (keeps cached figures exact)

Revision ID: ebf13651952e
Revises: e2f4a6c8b0d1
Create Date: 2026-11-30 18:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'ebf13651952e'
down_revision = 'e2f4a6c8b0d1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stats_figures_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('epoch', sa.String(length=32), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_figures_version')),
    )


def downgrade():
    op.drop_table('stats_figures_version')
