"""Questions on listings before a deal, their answers and staff hiding.

Revision ID: 03c5f3e614b5
Revises: c8629e8b6084
Create Date: 2026-11-30 17:30:00
"""
import sqlalchemy as sa
from alembic import op

import marketplace.db_types

revision = '03c5f3e614b5'
down_revision = 'c8629e8b6084'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'listing_questions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('listing_id', sa.Integer(), nullable=False),
        sa.Column('asker_id', sa.Integer(), nullable=True),
        sa.Column('asker_org_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.Column('answered_by_id', sa.Integer(), nullable=True),
        sa.Column('answered_at', marketplace.db_types.AwareDateTime(), nullable=True),
        sa.Column('private', sa.Boolean(), nullable=False),
        sa.Column('hidden_at', marketplace.db_types.AwareDateTime(), nullable=True),
        sa.Column('hidden_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', marketplace.db_types.AwareDateTime(), nullable=False),
        sa.CheckConstraint('(answer IS NULL) = (answered_at IS NULL)',
                           name=op.f('ck_listing_questions_answer_dated')),
        sa.ForeignKeyConstraint(['listing_id'], ['listings.id'],
                                name=op.f('fk_listing_questions_listing_id_listings'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['asker_id'], ['users.id'],
                                name=op.f('fk_listing_questions_asker_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['asker_org_id'], ['organisations.id'],
                                name=op.f('fk_listing_questions_asker_org_id_organisations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'],
                                name=op.f('fk_listing_questions_answered_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['hidden_by_id'], ['users.id'],
                                name=op.f('fk_listing_questions_hidden_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_questions')),
    )
    op.create_index(op.f('ix_listing_questions_listing_id'), 'listing_questions',
                    ['listing_id'])
    op.create_index(op.f('ix_listing_questions_asker_org_id'), 'listing_questions',
                    ['asker_org_id'])
    op.create_index(op.f('ix_listing_questions_hidden_at'), 'listing_questions',
                    ['hidden_at'])


def downgrade():
    op.drop_index(op.f('ix_listing_questions_hidden_at'), table_name='listing_questions')
    op.drop_index(op.f('ix_listing_questions_asker_org_id'), table_name='listing_questions')
    op.drop_index(op.f('ix_listing_questions_listing_id'), table_name='listing_questions')
    op.drop_table('listing_questions')
