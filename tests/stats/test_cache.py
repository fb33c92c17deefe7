"""Kept figures are never stale: any committed change to what they read shows on the next page;
they are kept per set of filters; a page's queries do not grow with the data."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import Organisation, User
from marketplace.deals.models import Deal
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.stats.cache import kept_figures
from marketplace.stats.models import FiguresVersion
from tests.conftest import login
from tests.stats.conftest import build_programme
from tests.test_query_counts import count_queries


@pytest.fixture(autouse=True)
def every_cell_shown(app, monkeypatch):
    monkeypatch.setitem(app.config, "STATS_MIN_CELL", 1)
    monkeypatch.setitem(app.config, "STATS_CACHE_SIZE", 8)


def stats(client, query=""):
    response = client.get(f"/api/v1/stats{query}")
    assert response.status_code == 200
    return response.get_json()


def version(app):
    with app.app_context():
        return db.session.scalar(sa.select(FiguresVersion.value))


def test_a_kept_page_runs_only_the_version_lookup(app, client, programme):
    assert stats(client)["listings"]["needs"] == 4
    with count_queries(app) as statements:
        assert stats(client)["listings"]["needs"] == 4
    assert len(statements) == 1 and "stats_figures_version" in statements[0]


def test_a_published_listing_and_a_moved_deal_show_on_the_next_page(app, client, programme):
    assert stats(client)["listings"]["needs"] == 4
    assert "<td class=\"text-end\">7</td>" in client.get("/en/ecosystem").get_data(as_text=True)
    with app.app_context():
        draft = db.session.get(Listing, programme["L4"])
        draft.status, draft.published_at = "published", datetime(2026, 3, 9, tzinfo=UTC)
        db.session.commit()
    data = stats(client)
    assert data["listings"]["needs"] == 5
    assert data["listings"]["by_sector"]["ai"] == {"needs": 3, "offerings": 2}

    assert data["deals"]["by_state"]["withdrawn"] == 2
    with app.test_request_context():
        deal = db.session.get(Deal, programme["D6"])
        buyer = db.session.scalar(sa.select(User).where(User.email == "firm_kr@example.com"))
        deal.withdraw(buyer)
        db.session.commit()
    data = stats(client)
    assert data["deals"]["by_state"]["withdrawn"] == 3
    assert data["deals"]["by_state"]["inquiry"] == 0
    assert stats(client, "?sector=ai")["deals"]["by_state"]["withdrawn"] == 1  # D6


def test_a_bulk_update_and_a_language_change_raise_the_version(app, client, programme):
    assert stats(client)["organisations"]["agency"] == 0
    before = version(app)
    with app.app_context():
        db.session.execute(sa.update(Organisation).where(Organisation.kind == "agency")
                           .values(verification="verified"))
        db.session.commit()
    assert version(app) == before + 1
    assert stats(client)["organisations"]["agency"] == 1

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "firm_kr@example.com"))
        user.display_name = "Renamed"  # the figures do not read it: kept figures stay
        db.session.commit()
    assert version(app) == before + 1
    assert stats(client)["participation"]["english_users"] == 2
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "firm_kr@example.com"))
        user.preferred_language = "en"
        db.session.commit()
    assert version(app) == before + 2
    assert stats(client)["participation"]["english_users"] == 3


def test_a_rolled_back_change_leaves_the_version(app, client, programme):
    before = version(app)
    with app.app_context():
        db.session.get(Listing, programme["L1"]).status = "archived"
        db.session.flush()
        db.session.rollback()
    assert version(app) == before
    assert stats(client)["listings"]["needs"] == 4


def test_figures_are_kept_per_set_of_filters(app, client, programme):
    everything, ai = stats(client), stats(client, "?sector=ai")
    february = stats(client, "?from=2026-02-01&to=2026-02-28")
    assert everything["deals"]["funnel"]["inquiry"] == 7
    assert ai["deals"]["funnel"]["inquiry"] == 4
    assert february["deals"]["funnel"]["inquiry"] == 2
    assert (stats(client), stats(client, "?sector=ai")) == (everything, ai)
    kept = kept_figures(app)
    assert {key[0].sector for key in kept} >= {None, "ai"}


def test_without_the_cache_every_page_computes(app, client, programme, monkeypatch):
    monkeypatch.setitem(app.config, "STATS_CACHE_SIZE", 0)
    stats(client)
    with count_queries(app) as statements:
        stats(client)
    assert len(statements) > 5


@pytest.mark.parametrize("path", ["/ko/staff/dashboards", "/ko/ecosystem",
                                  "/api/v1/stats?sector=ai"])
def test_a_page_runs_as_many_queries_for_a_larger_programme(app, client, staff_user,
                                                            monkeypatch, path):
    monkeypatch.setitem(app.config, "STATS_CACHE_SIZE", 0)
    login(client, staff_user, "correct-horse-battery")

    def queries():
        assert client.get(path).status_code == 200
        with count_queries(app) as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    few = queries()
    with app.app_context():  # the same programme again: twice the rows everywhere
        for model in (Organisation, User):
            for row in db.session.scalars(sa.select(model)):
                if model is User:
                    row.email = f"old-{row.email}"
                else:
                    row.name_en = f"old {row.name_en}"
        db.session.commit()
        build_programme()
    assert queries() == few
