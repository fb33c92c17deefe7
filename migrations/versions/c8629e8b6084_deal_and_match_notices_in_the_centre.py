"""Deal and match notices move into the notification centre: the rows of deal_notifications
and match_notifications are carried over to notifications, then both tables are dropped.

Revision ID: c8629e8b6084
Revises: cb3376c1cb6a
Create Date: 2026-11-30 18:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c8629e8b6084'
down_revision = 'cb3376c1cb6a'
branch_labels = None
depends_on = None


def upgrade():
    conn = op.get_bind()
    obj = "json_build_object" if conn.dialect.name == "postgresql" else "json_object"
    # One INSERT ... SELECT, oldest first, so the new ids keep the order the notices came in.
    # Every old notice was e-mailed at once; one still waiting is e-mailed by the old job,
    # which now reads the centre.
    conn.execute(sa.text(f"""
        INSERT INTO notifications (user_id, kind, subject_type, subject_id, data, created_at,
                                   read_at, emailed_at, delivery)
        SELECT user_id, kind, subject_type, subject_id, data, created_at, read_at, emailed_at,
               'email'
        FROM (
            SELECT id, user_id, 'deal_event' AS kind, 'deal' AS subject_type,
                   deal_id AS subject_id, {obj}('event_id', event_id) AS data, created_at,
                   read_at, emailed_at, 0 AS source
            FROM deal_notifications
            UNION ALL
            SELECT id, user_id,
                   CASE WHEN match_id IS NULL THEN 'investor_match_found'
                        ELSE 'match_found' END,
                   CASE WHEN match_id IS NULL THEN 'investor_match' ELSE 'match' END,
                   COALESCE(match_id, investor_match_id), {obj}(), created_at, read_at,
                   emailed_at, 1
            FROM match_notifications
        ) AS old
        ORDER BY created_at, source, id
    """))
    with op.batch_alter_table('deal_notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deal_notifications_user_id'))
        batch_op.drop_index(batch_op.f('ix_deal_notifications_event_id'))
        batch_op.drop_index(batch_op.f('ix_deal_notifications_deal_id'))
    op.drop_table('deal_notifications')
    with op.batch_alter_table('match_notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_notifications_user_id'))
        batch_op.drop_index(batch_op.f('ix_match_notifications_match_id'))
        batch_op.drop_index(batch_op.f('ix_match_notifications_investor_match_id'))
    op.drop_table('match_notifications')


def downgrade():
    # The old tables come back empty: the notices stay in the centre's table and are not
    # copied back (a downgrade loses the deal and match notices the old pages showed).
    op.create_table(
        'match_notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('match_id', sa.Integer(), nullable=True),
        sa.Column('investor_match_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('(match_id IS NULL) <> (investor_match_id IS NULL)',
                           name=op.f('ck_match_notifications_one_match')),
        sa.ForeignKeyConstraint(
            ['investor_match_id'], ['investor_matches.id'],
            name=op.f('fk_match_notifications_investor_match_id_investor_matches'),
            ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['match_id'], ['matches.id'],
                                name=op.f('fk_match_notifications_match_id_matches'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_match_notifications_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_match_notifications')),
    )
    with op.batch_alter_table('match_notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_notifications_investor_match_id'),
                              ['investor_match_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_notifications_match_id'), ['match_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_match_notifications_user_id'), ['user_id'],
                              unique=False)
    op.create_table(
        'deal_notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('deal_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['deal_id'], ['deals.id'],
                                name=op.f('fk_deal_notifications_deal_id_deals'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['event_id'], ['deal_events.id'],
                                name=op.f('fk_deal_notifications_event_id_deal_events'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_deal_notifications_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_notifications')),
        sa.UniqueConstraint('user_id', 'event_id',
                            name='uq_deal_notifications_user_id_event_id'),
    )
    with op.batch_alter_table('deal_notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_notifications_deal_id'), ['deal_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_deal_notifications_event_id'), ['event_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_deal_notifications_user_id'), ['user_id'],
                              unique=False)
