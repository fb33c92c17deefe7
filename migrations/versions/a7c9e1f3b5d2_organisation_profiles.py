"""Organisation profiles: description, website, logo, founding, size; a startup's stage,
funding and investor contact.

Revision ID: a7c9e1f3b5d2
Revises: f1b3c5d7e902
Create Date: 2026-11-30 17:10:00
"""
import sqlalchemy as sa
from alembic import op

import marketplace.db_types

revision = 'a7c9e1f3b5d2'
down_revision = 'f1b3c5d7e902'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'organisation_profiles',
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('description_ko', sa.Text(), nullable=True),
        sa.Column('description_en', sa.Text(), nullable=True),
        sa.Column('website', sa.String(length=300), nullable=True),
        sa.Column('logo_key', sa.String(length=64), nullable=True),
        sa.Column('founded_year', sa.SmallInteger(), nullable=True),
        sa.Column('employees', sa.Integer(), nullable=True),
        sa.Column('stage', sa.String(length=20), nullable=True),
        sa.Column('funding_currency', sa.String(length=3), nullable=True),
        sa.Column('funding_raised', sa.BigInteger(), nullable=True),
        sa.Column('funding_sought', sa.BigInteger(), nullable=True),
        sa.Column('ir_contact_name', sa.String(length=100), nullable=True),
        sa.Column('ir_contact_email', sa.String(length=200), nullable=True),
        sa.Column('updated_at', marketplace.db_types.AwareDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_organisation_profiles_organisation_id_organisations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_organisation_profiles')),
    )


def downgrade():
    op.drop_table('organisation_profiles')
