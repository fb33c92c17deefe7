"""Saved searches, the listings each was told about, and bookmarks.

Revision ID: bdb116198cd7
Revises: 03c5f3e614b5
Create Date: 2026-11-30 17:30:00
"""
import sqlalchemy as sa
from alembic import op

import marketplace.db_types

revision = 'bdb116198cd7'
down_revision = '03c5f3e614b5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'saved_searches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('need', 'offering', name='listingkind', native_enum=False,
                                  length=20), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('q', sa.String(length=200), nullable=False),
        sa.Column('sector', sa.String(length=30), nullable=True),
        sa.Column('trl_min', sa.SmallInteger(), nullable=True),
        sa.Column('trl_max', sa.SmallInteger(), nullable=True),
        sa.Column('deal_type', sa.String(length=30), nullable=True),
        sa.Column('lang', sa.String(length=2), nullable=True),
        sa.Column('created_at', marketplace.db_types.AwareDateTime(), nullable=False),
        sa.CheckConstraint('trl_max IS NULL OR (trl_max BETWEEN 1 AND 9)',
                           name=op.f('ck_saved_searches_trl_max_range')),
        sa.CheckConstraint('trl_min IS NULL OR (trl_min BETWEEN 1 AND 9)',
                           name=op.f('ck_saved_searches_trl_min_range')),
        sa.CheckConstraint('trl_min IS NULL OR trl_max IS NULL OR trl_min <= trl_max',
                           name=op.f('ck_saved_searches_trl_order')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_saved_searches_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_searches')),
    )
    op.create_index('ix_saved_searches_kind', 'saved_searches', ['kind'])
    op.create_index(op.f('ix_saved_searches_user_id'), 'saved_searches', ['user_id'])
    op.create_table(
        'saved_search_hits',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('saved_search_id', sa.Integer(), nullable=False),
        sa.Column('listing_id', sa.Integer(), nullable=False),
        sa.Column('created_at', marketplace.db_types.AwareDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['listing_id'], ['listings.id'],
                                name=op.f('fk_saved_search_hits_listing_id_listings'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['saved_search_id'], ['saved_searches.id'],
                                name=op.f('fk_saved_search_hits_saved_search_id_saved_searches'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_search_hits')),
        sa.UniqueConstraint('saved_search_id', 'listing_id',
                            name='uq_saved_search_hits_search_listing'),
    )
    op.create_index(op.f('ix_saved_search_hits_listing_id'), 'saved_search_hits',
                    ['listing_id'])
    op.create_table(
        'bookmarks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('listing_id', sa.Integer(), nullable=False),
        sa.Column('created_at', marketplace.db_types.AwareDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['listing_id'], ['listings.id'],
                                name=op.f('fk_bookmarks_listing_id_listings'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_bookmarks_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bookmarks')),
        sa.UniqueConstraint('user_id', 'listing_id', name='uq_bookmarks_user_listing'),
    )
    op.create_index('ix_bookmarks_listing_id_created_at', 'bookmarks',
                    ['listing_id', 'created_at'])


def downgrade():
    op.drop_index('ix_bookmarks_listing_id_created_at', table_name='bookmarks')
    op.drop_table('bookmarks')
    op.drop_index(op.f('ix_saved_search_hits_listing_id'), table_name='saved_search_hits')
    op.drop_table('saved_search_hits')
    op.drop_index(op.f('ix_saved_searches_user_id'), table_name='saved_searches')
    op.drop_index('ix_saved_searches_kind', table_name='saved_searches')
    op.drop_table('saved_searches')
