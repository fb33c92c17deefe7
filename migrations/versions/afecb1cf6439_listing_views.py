"""Listing views: which organisations opened a listing, one row a day.

Revision ID: afecb1cf6439
Revises: bdb116198cd7
Create Date: 2026-11-30 18:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'afecb1cf6439'
down_revision = 'bdb116198cd7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'listing_views',
        sa.Column('listing_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['listing_id'], ['listings.id'],
                                name=op.f('fk_listing_views_listing_id_listings'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_listing_views_organisation_id_organisations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('listing_id', 'organisation_id', 'day',
                                name=op.f('pk_listing_views')),
    )
    op.create_index('ix_listing_views_listing_id_day', 'listing_views', ['listing_id', 'day'])


def downgrade():
    op.drop_index('ix_listing_views_listing_id_day', table_name='listing_views')
    op.drop_table('listing_views')
