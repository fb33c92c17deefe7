"""append-only triggers: the database refuses UPDATE and DELETE on deal events, the payment
ledger and organisation reviews (PostgreSQL; see marketplace/append_only.py)

Revision ID: 5e1f0a7c2b90
Revises: cd65194099e0
Create Date: 2026-11-22 08:40:00

"""
from alembic import op

revision = '5e1f0a7c2b90'
down_revision = 'cd65194099e0'
branch_labels = None
depends_on = None

TABLES = ('deal_events', 'payment_ledger', 'organisation_reviews')

FUNCTION = """
CREATE OR REPLACE FUNCTION refuse_append_only_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
    MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused';
END $$
"""


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(FUNCTION)
    for table in TABLES:
        op.execute(f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} '
                   'FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change()')


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        op.execute(f'DROP TRIGGER IF EXISTS {table}_append_only ON {table}')
    op.execute('DROP FUNCTION IF EXISTS refuse_append_only_change()')
