"""audit trail: one append-only row per staff or admin action (PostgreSQL's trigger refuses
UPDATE and DELETE on it); programme reports: the monthly PDFs the staff console lists

Revision ID: a9d3f6b2c418
Revises: b4d1f6a8c203
Create Date: 2026-11-30 13:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a9d3f6b2c418'
down_revision = 'b4d1f6a8c203'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'audit_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('subject_type', sa.String(length=40), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('details', sa.JSON(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'],
                                name=op.f('fk_audit_entries_actor_id_users'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries')))
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_actor_id'), ['actor_id'])
        batch_op.create_index(batch_op.f('ix_audit_entries_kind'), ['kind'])
        batch_op.create_index(batch_op.f('ix_audit_entries_created_at'), ['created_at'])
        batch_op.create_index('ix_audit_entries_subject', ['subject_type', 'subject_id'])
    if op.get_bind().dialect.name == 'postgresql':  # the function came with 5e1f0a7c2b90
        op.execute('CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE '
                   'ON audit_entries FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change()')

    op.create_table(
        'programme_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_programme_reports_created_by_id_users'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_reports')))
    with op.batch_alter_table('programme_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_reports_month'), ['month'])


def downgrade():
    with op.batch_alter_table('programme_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_reports_month'))
    op.drop_table('programme_reports')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_subject')
        batch_op.drop_index(batch_op.f('ix_audit_entries_created_at'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_kind'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_actor_id'))
    op.drop_table('audit_entries')
