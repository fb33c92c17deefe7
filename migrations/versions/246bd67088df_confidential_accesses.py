"""confidential access log: staff open a listing's confidential details through a recorded,
append-only row (PostgreSQL's trigger refuses UPDATE and DELETE on it)

Revision ID: 246bd67088df
Revises: 5e1f0a7c2b90
Create Date: 2026-11-30 09:50:00

"""
from alembic import op
import sqlalchemy as sa

revision = '246bd67088df'
down_revision = '5e1f0a7c2b90'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('confidential_accesses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('listing_version', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_confidential_accesses_listing_id_listings'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_confidential_accesses_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_confidential_accesses'))
    )
    with op.batch_alter_table('confidential_accesses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_confidential_accesses_listing_id'), ['listing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_confidential_accesses_user_id'), ['user_id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':  # the function came with 5e1f0a7c2b90
        op.execute('CREATE TRIGGER confidential_accesses_append_only BEFORE UPDATE OR DELETE '
                   'ON confidential_accesses '
                   'FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change()')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS confidential_accesses_append_only '
                   'ON confidential_accesses')
    with op.batch_alter_table('confidential_accesses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_confidential_accesses_user_id'))
        batch_op.drop_index(batch_op.f('ix_confidential_accesses_listing_id'))

    op.drop_table('confidential_accesses')
