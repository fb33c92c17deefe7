"""organisations keep a settlement account staff confirm; payment requests carry their supply
value and VAT; the payee records its e-tax invoices; issued receipts are stored; a deal may be
partially refunded or refunded after payment (both still agreed on one terms version)

Revision ID: b4d1f6a8c203
Revises: e7a2c4d91b38
Create Date: 2026-11-30 13:40:00

"""
import sqlalchemy as sa
from alembic import op

from marketplace.db_types import AwareDateTime

revision = 'b4d1f6a8c203'
down_revision = 'e7a2c4d91b38'
branch_labels = None
depends_on = None


AGREED = ('agreed', 'drafting', 'signing', 'signed', 'payment_pending', 'paid', 'closed')
REFUNDED = ('partially_refunded', 'refunded')


def _agreed_check(states) -> str:
    return ("state NOT IN ({}) OR (current_version > 0 AND buyer_accepted_version = "
            "current_version AND seller_accepted_version = current_version)".format(
                ", ".join(f"'{s}'" for s in states)))


def _replace_agreed_check(states) -> None:
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_deals_agreed_on_one_version'), type_='check')
        batch_op.create_check_constraint(op.f('ck_deals_agreed_on_one_version'),
                                        _agreed_check(states))


def upgrade():
    _replace_agreed_check(AGREED[:-1] + REFUNDED + AGREED[-1:])
    op.create_table(
        'settlement_accounts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('bank_code', sa.String(length=3), nullable=False),
        sa.Column('account_number', sa.String(length=16), nullable=False),
        sa.Column('holder', sa.String(length=100), nullable=False),
        sa.Column('changed_at', AwareDateTime(), nullable=False),
        sa.Column('changed_by_id', sa.Integer(), nullable=True),
        sa.Column('confirmed_at', AwareDateTime(), nullable=True),
        sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_settlement_accounts_organisation_id_organisations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'],
                                name=op.f('fk_settlement_accounts_changed_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'],
                                name=op.f('fk_settlement_accounts_confirmed_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_accounts')),
        sa.UniqueConstraint('organisation_id',
                            name=op.f('uq_settlement_accounts_organisation_id')),
    )
    with op.batch_alter_table('payment_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supply_value', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('vat', sa.BigInteger(), nullable=False,
                                      server_default='0'))
    # Requests made before VAT was set on the terms: their amount is their supply value.
    op.execute("UPDATE payment_requests SET supply_value = amount")
    with op.batch_alter_table('payment_requests', schema=None) as batch_op:
        batch_op.alter_column('supply_value', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('vat', existing_type=sa.BigInteger(), server_default=None)
        batch_op.create_check_constraint(op.f('ck_payment_requests_total_of_vat'),
                                        'vat >= 0 AND supply_value + vat = amount')
    op.create_table(
        'payment_receipts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ledger_entry_id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('issued_at', AwareDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['ledger_entry_id'], ['payment_ledger.id'],
                                name=op.f('fk_payment_receipts_ledger_entry_id_payment_ledger'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_receipts')),
        sa.UniqueConstraint('ledger_entry_id', 'sha256',
                            name='uq_payment_receipts_ledger_entry_id_sha256'),
    )
    op.create_index(op.f('ix_payment_receipts_ledger_entry_id'), 'payment_receipts',
                    ['ledger_entry_id'], unique=False)
    op.create_table(
        'payment_tax_invoices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('payment_request_id', sa.Integer(), nullable=False),
        sa.Column('approval_no', sa.String(length=24), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', AwareDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['payment_request_id'], ['payment_requests.id'],
            name=op.f('fk_payment_tax_invoices_payment_request_id_payment_requests'),
            ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_payment_tax_invoices_recorded_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_tax_invoices')),
        sa.UniqueConstraint('approval_no', name=op.f('uq_payment_tax_invoices_approval_no')),
        sa.UniqueConstraint('payment_request_id',
                            name=op.f('uq_payment_tax_invoices_payment_request_id')),
    )


def downgrade():
    _replace_agreed_check(AGREED)
    op.drop_table('payment_tax_invoices')
    op.drop_index(op.f('ix_payment_receipts_ledger_entry_id'), table_name='payment_receipts')
    op.drop_table('payment_receipts')
    with op.batch_alter_table('payment_requests', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payment_requests_total_of_vat'), type_='check')
        batch_op.drop_column('vat')
        batch_op.drop_column('supply_value')
    op.drop_table('settlement_accounts')
