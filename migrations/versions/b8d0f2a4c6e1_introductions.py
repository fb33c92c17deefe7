"""Introductions between investors and startups.

Revision ID: b8d0f2a4c6e1
Revises: a7c9e1f3b5d2
Create Date: 2026-11-30 17:20:00
"""
import sqlalchemy as sa
from alembic import op

import marketplace.db_types

revision = 'b8d0f2a4c6e1'
down_revision = 'a7c9e1f3b5d2'
branch_labels = None
depends_on = None

OPEN_CONDITION = "state IN ('requested', 'accepted', 'arranged')"


def upgrade():
    op.create_table(
        'introductions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('investor_org_id', sa.Integer(), nullable=False),
        sa.Column('startup_org_id', sa.Integer(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('proposed_times', sa.String(length=500), nullable=True),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.Column('meeting', sa.String(length=500), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', marketplace.db_types.AwareDateTime(), nullable=True),
        sa.Column('deal_id', sa.Integer(), nullable=True),
        sa.Column('created_at', marketplace.db_types.AwareDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['investor_org_id'], ['organisations.id'],
                                name=op.f('fk_introductions_investor_org_id_organisations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['startup_org_id'], ['organisations.id'],
                                name=op.f('fk_introductions_startup_org_id_organisations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'],
                                name=op.f('fk_introductions_requested_by_id_users'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_introductions_decided_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['deal_id'], ['deals.id'],
                                name=op.f('fk_introductions_deal_id_deals'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_introductions')),
    )
    op.create_index(op.f('ix_introductions_investor_org_id'), 'introductions',
                    ['investor_org_id'])
    op.create_index(op.f('ix_introductions_startup_org_id'), 'introductions', ['startup_org_id'])
    op.create_index('uq_introductions_open_pair', 'introductions',
                    ['investor_org_id', 'startup_org_id'], unique=True,
                    sqlite_where=sa.text(OPEN_CONDITION), postgresql_where=sa.text(OPEN_CONDITION))


def downgrade():
    op.drop_index('uq_introductions_open_pair', table_name='introductions')
    op.drop_index(op.f('ix_introductions_startup_org_id'), table_name='introductions')
    op.drop_index(op.f('ix_introductions_investor_org_id'), table_name='introductions')
    op.drop_table('introductions')
