"""job outbox: jobs are written in the transaction that asks for them and handed to the queue
after it commits; job runs keep their RQ job id (to mark a killed worker's run abandoned)

Revision ID: 8c3d1f2a9b47
Revises: a3c9d27e41f6
Create Date: 2026-11-30 09:50:00

"""
from alembic import op
import sqlalchemy as sa

revision = '8c3d1f2a9b47'
down_revision = 'a3c9d27e41f6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('queue', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handed_over_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_outbox'))
    )
    with op.batch_alter_table('job_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_outbox_handed_over_at'), ['handed_over_at'],
                              unique=False)

    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_job_runs_job_id'), ['job_id'], unique=False)


def downgrade():
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_runs_job_id'))
        batch_op.drop_column('job_id')

    with op.batch_alter_table('job_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_outbox_handed_over_at'))

    op.drop_table('job_outbox')
