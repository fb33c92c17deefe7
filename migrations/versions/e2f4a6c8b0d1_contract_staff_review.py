"""A party asks city staff to review a contract draft; the staff review.

Revision ID: e2f4a6c8b0d1
Revises: afecb1cf6439
Create Date: 2026-11-30 17:50:00
"""
import sqlalchemy as sa
from alembic import op

import marketplace.db_types

revision = 'e2f4a6c8b0d1'
down_revision = 'afecb1cf6439'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contracts') as batch:
        batch.add_column(sa.Column('review_requested_at', marketplace.db_types.AwareDateTime(),
                                   nullable=True))
        batch.add_column(sa.Column('review_note', sa.Text(), nullable=True))
        batch.add_column(sa.Column('reviewed_at', marketplace.db_types.AwareDateTime(),
                                   nullable=True))
        batch.add_column(sa.Column('reviewed_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('review_comment', sa.Text(), nullable=True))
        batch.create_index(batch.f('ix_contracts_review_requested_at'), ['review_requested_at'])
        batch.create_foreign_key(batch.f('fk_contracts_reviewed_by_id_users'), 'users',
                                 ['reviewed_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('contracts') as batch:
        batch.drop_constraint(batch.f('fk_contracts_reviewed_by_id_users'), type_='foreignkey')
        batch.drop_index(batch.f('ix_contracts_review_requested_at'))
        for name in ('review_comment', 'reviewed_by_id', 'reviewed_at', 'review_note',
                     'review_requested_at'):
            batch.drop_column(name)
