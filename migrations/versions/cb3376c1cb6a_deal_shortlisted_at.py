"""Proposals on needs: the firm's shortlist mark on a proposal.

Revision ID: cb3376c1cb6a
Revises: b8d0f2a4c6e1
Create Date: 2026-11-30 18:00:00
"""
import sqlalchemy as sa
from alembic import op

import marketplace.db_types

revision = 'cb3376c1cb6a'
down_revision = 'b8d0f2a4c6e1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deals') as batch_op:
        batch_op.add_column(sa.Column('shortlisted_at', marketplace.db_types.AwareDateTime(),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('deals') as batch_op:
        batch_op.drop_column('shortlisted_at')
