"""organisations keep their address, representative, business type and item for contracts;
a deal in the NDA step remembers the NDA PDF the parties confirm

Revision ID: e7a2c4d91b38
Revises: e5a8c2d71f30
Create Date: 2026-11-30 10:35:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e7a2c4d91b38'
down_revision = 'e5a8c2d71f30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address_ko', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('address_en', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('representative_ko', sa.String(length=100),
                                      nullable=True))
        batch_op.add_column(sa.Column('representative_en', sa.String(length=100),
                                      nullable=True))
        batch_op.add_column(sa.Column('business_type', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('business_item', sa.String(length=200), nullable=True))
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nda_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('nda_variables_digest', sa.String(length=64),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_column('nda_variables_digest')
        batch_op.drop_column('nda_sha256')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        for column in ('business_item', 'business_type', 'representative_en',
                       'representative_ko', 'address_en', 'address_ko'):
            batch_op.drop_column(column)
