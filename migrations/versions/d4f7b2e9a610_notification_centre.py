"""One notification centre: notifications and per-kind delivery preferences.

Revision ID: d4f7b2e9a610
Revises: c3e8a1f5d907
Create Date: 2026-11-30 17:00:00
"""
import sqlalchemy as sa
from alembic import op

import marketplace.db_types

revision = 'd4f7b2e9a610'
down_revision = 'c3e8a1f5d907'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('subject_type', sa.String(length=40), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('created_at', marketplace.db_types.AwareDateTime(), nullable=False),
        sa.Column('read_at', marketplace.db_types.AwareDateTime(), nullable=True),
        sa.Column('emailed_at', marketplace.db_types.AwareDateTime(), nullable=True),
        sa.Column('delivery', sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_notifications_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    )
    op.create_index('ix_notifications_user_id_read_at', 'notifications',
                    ['user_id', 'read_at'])
    op.create_index('ix_notifications_subject', 'notifications',
                    ['subject_type', 'subject_id'])
    op.create_table(
        'notification_preferences',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('delivery', sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_notification_preferences_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_notification_preferences')),
    )


def downgrade():
    op.drop_table('notification_preferences')
    op.drop_index('ix_notifications_subject', table_name='notifications')
    op.drop_index('ix_notifications_user_id_read_at', table_name='notifications')
    op.drop_table('notifications')
