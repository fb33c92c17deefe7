"""indexes for the programme figures: posted listings, deal stage events

Revision ID: c51e7a2d9b34
Revises: b3d41c7e9a52
Create Date: 2026-11-30 11:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c51e7a2d9b34'
down_revision = 'b3d41c7e9a52'
branch_labels = None
depends_on = None

POSTED_CONDITION = "status IN ('published', 'closed') AND hidden_at IS NULL"


def upgrade():
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.create_index('ix_listings_posted', ['published_at', 'sector', 'kind', 'status'],
                              unique=False, postgresql_where=sa.text(POSTED_CONDITION),
                              sqlite_where=sa.text(POSTED_CONDITION))
    with op.batch_alter_table('deal_events', schema=None) as batch_op:
        batch_op.create_index('ix_deal_events_stage', ['to_state', 'deal_id', 'created_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('deal_events', schema=None) as batch_op:
        batch_op.drop_index('ix_deal_events_stage')
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_index('ix_listings_posted')
