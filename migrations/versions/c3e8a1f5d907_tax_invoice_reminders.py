"""tax invoice reminders: one row per payment request whose payee was e-mailed to record its
tax invoice, so the daily job sends the reminder once

Revision ID: c3e8a1f5d907
Revises: a9d3f6b2c418
Create Date: 2026-11-30 15:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c3e8a1f5d907'
down_revision = 'a9d3f6b2c418'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'payment_tax_invoice_reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('payment_request_id', sa.Integer(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['payment_request_id'], ['payment_requests.id'],
                                name=op.f('fk_payment_tax_invoice_reminders_payment_request_id_payment_requests'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_tax_invoice_reminders')),
        sa.UniqueConstraint('payment_request_id',
                            name=op.f('uq_payment_tax_invoice_reminders_payment_request_id')))


def downgrade():
    op.drop_table('payment_tax_invoice_reminders')
