"""deal types and languages in the search index, which then filters on them itself

Revision ID: b3d5f7a9c1e2
Revises: ebf13651952e
Create Date: 2026-12-01 07:00:00

Each `listing_terms` row carries its listing's deal types and languages as bits (the order of
`DEAL_TYPES` and `LANGUAGES` below is that of `marketplace.listings.vocabulary` today). On
PostgreSQL the primary key includes every filtered column, so a filtered keyword search reads
the index alone.
"""
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = 'b3d5f7a9c1e2'
down_revision = 'ebf13651952e'
branch_labels = None
depends_on = None

DEAL_TYPES = ("license", "transfer", "joint_development", "poc", "supply", "investment")
LANGUAGES = ("ko", "en")


def _bits(codes, order) -> int:
    return sum(1 << order.index(code) for code in set(codes) if code in order)


def _primary_key(include: str = "") -> None:
    op.execute("ALTER TABLE listing_terms DROP CONSTRAINT pk_listing_terms, "
               f"ADD CONSTRAINT pk_listing_terms PRIMARY KEY (term, listing_id) {include}")


def upgrade():
    with op.batch_alter_table('listing_terms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deal_types', sa.SmallInteger(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('languages', sa.SmallInteger(), server_default='0',
                                      nullable=False))
    conn = op.get_bind()
    listings = sa.table('listings', sa.column('id', sa.Integer),
                        sa.column('deal_types', sa.JSON), sa.column('title_ko', sa.String),
                        sa.column('title_en', sa.String))
    terms = sa.table('listing_terms', sa.column('listing_id', sa.Integer),
                     sa.column('deal_types', sa.SmallInteger),
                     sa.column('languages', sa.SmallInteger))
    groups = defaultdict(list)
    for listing_id, deal_types, title_ko, title_en in conn.execute(sa.select(listings)):
        langs = [lang for lang, title in (("ko", title_ko), ("en", title_en)) if title]
        groups[(_bits(deal_types or [], DEAL_TYPES), _bits(langs, LANGUAGES))].append(listing_id)
    for (deal_bits, language_bits), ids in groups.items():
        for start in range(0, len(ids), 500):
            conn.execute(terms.update().where(terms.c.listing_id.in_(ids[start:start + 500]))
                         .values(deal_types=deal_bits, languages=language_bits))
    if conn.dialect.name == 'postgresql':
        _primary_key("INCLUDE (weight, kind, public, sector, trl, deal_types, languages)")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        _primary_key()
    with op.batch_alter_table('listing_terms', schema=None) as batch_op:
        batch_op.drop_column('languages')
        batch_op.drop_column('deal_types')
