"""`flask db upgrade` on an empty database builds exactly the schema the models describe."""

import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from marketplace.extensions import db
from tests.conftest import make_test_app


@pytest.fixture
def empty_database_url(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    base = base.replace("postgresql://", "postgresql+psycopg://", 1)
    url = sa.make_url(base)
    name = f"{url.database}_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_build_the_models_schema(empty_database_url):
    app = make_test_app(empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
            if conn.dialect.name == "postgresql":  # the append-only triggers came too
                triggers = set(conn.scalars(sa.text(
                    "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
                assert triggers == {f"{t}_append_only" for t in (
                    "deal_events", "payment_ledger", "organisation_reviews",
                    "confidential_accesses", "audit_entries")}
        db.engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"
