"""Translation requests: readers asking for a listing in the language it lacks.

Revision ID: f1b3c5d7e902
Revises: d4f7b2e9a610
Create Date: 2026-11-30 17:40:00
"""
import sqlalchemy as sa
from alembic import op

import marketplace.db_types

revision = 'f1b3c5d7e902'
down_revision = 'd4f7b2e9a610'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'translation_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('listing_id', sa.Integer(), nullable=False),
        sa.Column('requester_id', sa.Integer(), nullable=False),
        sa.Column('lang', sa.String(length=2), nullable=False),
        sa.Column('created_at', marketplace.db_types.AwareDateTime(), nullable=False),
        sa.Column('fulfilled_at', marketplace.db_types.AwareDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['listing_id'], ['listings.id'],
                                name=op.f('fk_translation_requests_listing_id_listings'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['requester_id'], ['users.id'],
                                name=op.f('fk_translation_requests_requester_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_translation_requests')),
        sa.UniqueConstraint('listing_id', 'requester_id', 'lang',
                            name='uq_translation_requests_listing_requester_lang'),
    )
    op.create_index('ix_translation_requests_open', 'translation_requests',
                    ['listing_id', 'fulfilled_at'])


def downgrade():
    op.drop_index('ix_translation_requests_open', table_name='translation_requests')
    op.drop_table('translation_requests')
