"""`flask db upgrade` on an empty database builds exactly the schema the models describe."""

import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

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


def test_the_upgrade_carries_deal_and_match_notices_into_the_centre(empty_database_url):
    """Deal and match notices written before the notification centre took them over are in the
    centre afterwards, read, e-mailed and dated as they were; the old tables are gone."""
    from datetime import UTC, datetime

    from marketplace.accounts.models import Verification
    from marketplace.accounts.services import create_account
    from marketplace.db_types import AwareDateTime
    from marketplace.deals import services as deals
    from marketplace.matching.records import InvestorMatch, Match
    from marketplace.notifications.models import Notification
    from marketplace.notifications.services import rendered
    from tests.deals.conftest import make_listing

    app = make_test_app(empty_database_url)
    with app.app_context():
        upgrade(revision="cb3376c1cb6a")
        with app.test_request_context("/en/"):
            people = {kind: create_account(
                email=f"{kind}@example.com", password="a long enough password 1",
                display_name=kind.title(), org_kind=kind, org_name_ko=f"{kind} 기관",
                org_name_en=f"{kind} org", country="US", role="member",
                preferred_language="en") for kind in ("firm", "startup", "investor")}
            for user in people.values():
                user.organisation.verification = Verification.verified
            db.session.flush()
            offering = make_listing(people["startup"].organisation_id)
            need = make_listing(people["firm"].organisation_id, kind="need")
            deal = deals.open_deal(people["firm"], offering, None, deal_type="license",
                                   message="Hello")
            match = Match(need_id=need.id, offering_id=offering.id, score=0.8,
                          explanation={}, model_version="m")
            investor_match = InvestorMatch(
                investor_org_id=people["investor"].organisation_id, offering_id=offering.id,
                startup_org_id=people["startup"].organisation_id, score=0.7, explanation={},
                model_version="m")
            db.session.add_all([match, investor_match])
            db.session.commit()
            ids = {k: v.id for k, v in people.items()}
            deal_id, event_id = deal.id, deal.events[0].id
            match_id, investor_match_id = match.id, investor_match.id
        db.session.execute(sa.delete(Notification))  # the centre's own notice of the opening
        at = [datetime(2026, 11, day, 9, 0, tzinfo=UTC) for day in (1, 2, 3, 4)]

        def columns():
            return [sa.column(name, AwareDateTime()) for name in ("created_at", "read_at",
                                                                  "emailed_at")]
        db.session.execute(sa.table("deal_notifications", sa.column("user_id"),
                                    sa.column("deal_id"), sa.column("event_id"),
                                    *columns()).insert(),
                           [{"user_id": ids["startup"], "deal_id": deal_id,
                             "event_id": event_id, "created_at": at[1], "read_at": at[2],
                             "emailed_at": at[1]}])
        db.session.execute(sa.table("match_notifications", sa.column("user_id"),
                                    sa.column("match_id"), sa.column("investor_match_id"),
                                    *columns()).insert(),
                           [{"user_id": ids["firm"], "match_id": match_id,
                             "investor_match_id": None, "created_at": at[0], "read_at": None,
                             "emailed_at": at[0]},
                            {"user_id": ids["investor"], "match_id": None,
                             "investor_match_id": investor_match_id, "created_at": at[3],
                             "read_at": None, "emailed_at": None}])
        db.session.commit()
        upgrade()
        notices = db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
        carried = [(n.user_id, n.kind, n.subject_type, n.subject_id, n.data, n.created_at,
                    n.read_at, n.emailed_at, n.delivery) for n in notices]
        with app.test_request_context("/en/"):
            titles = [rendered(n).title for n in notices]
        tables = sa.inspect(db.engine).get_table_names()
        db.session.remove()
        downgrade(revision="cb3376c1cb6a")  # the old tables come back, empty
        with db.engine.connect() as conn:
            back = [conn.scalar(sa.text(f"SELECT count(*) FROM {t}"))
                    for t in ("deal_notifications", "match_notifications")]
        db.engine.dispose()
    assert carried == [  # oldest first
        (ids["firm"], "match_found", "match", match_id, {}, at[0], None, at[0], "email"),
        (ids["startup"], "deal_event", "deal", deal_id, {"event_id": event_id}, at[1], at[2],
         at[1], "email"),
        (ids["investor"], "investor_match_found", "investor_match", investor_match_id, {},
         at[3], None, None, "email"),
    ]
    assert titles[0].startswith("A strong match for ")
    assert titles[1] == f"Deal #{deal_id} (Battery ageing AI): Opened the deal — Firm (firm org)"
    assert titles[2].startswith("A strong match for your investor profile")
    assert "deal_notifications" not in tables and "match_notifications" not in tables
    assert back == [0, 0]


def test_the_search_index_gains_deal_types_and_languages_of_existing_listings(
        empty_database_url):
    """Listings indexed before the index carried deal types and languages have them after
    the upgrade, as indexing them now would give."""
    from marketplace.accounts.services import create_account
    from marketplace.listings.models import ListingTerm
    from marketplace.listings.search import index_listing
    from tests.deals.conftest import make_listing

    app = make_test_app(empty_database_url)
    with app.app_context():
        upgrade()
        with app.test_request_context("/en/"):
            startup = create_account(
                email="startup@example.com", password="a long enough password 1",
                display_name="Startup", org_kind="startup", org_name_ko="스타트업",
                org_name_en="Startup", country="US", role="member", preferred_language="ko")
            both = make_listing(startup.organisation_id, deal_types=["license", "investment"])
            korean = make_listing(startup.organisation_id, deal_types=["poc"])
            korean.title_en = None
            for listing in (both, korean):
                index_listing(listing)
            db.session.commit()
            ids = both.id, korean.id

        def indexed():
            return sorted(set(db.session.execute(sa.select(
                ListingTerm.listing_id, ListingTerm.deal_types, ListingTerm.languages))))

        before = indexed()
        db.session.remove()
        downgrade(revision="ebf13651952e")
        upgrade()
        after = indexed()
        db.session.remove()
        db.engine.dispose()
    assert before == [(ids[0], 0b100001, 0b11), (ids[1], 0b1000, 0b1)]
    assert after == before
