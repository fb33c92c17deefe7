"""The desk page and API: landing after sign-in, listing numbers over 30 days, a new account's
next steps, what is new, the navigation link, and a number of queries that does not grow with
the deals."""

from datetime import timedelta

import sqlalchemy as sa

from marketplace.accounts.models import Organisation
from marketplace.clock import utcnow
from marketplace.desk import services
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.listings.visits import ListingView, local_day
from marketplace.notifications.models import Notification
from tests.conftest import login
from tests.deals.conftest import LICENSE, load, make_listing, open_deal
from tests.test_query_counts import count_queries


def listing_row(client, token, listing_id) -> dict:
    listings = client.get("/api/v1/desk", headers=token).get_json()["listings"]
    return next(row for row in listings if row["id"] == listing_id)


# ---- landing ------------------------------------------------------------------------------

def test_members_land_on_their_desk_staff_on_the_console(client, parties):
    assert login(client, parties["buyer"]).headers["Location"] == "/ko/desk/"
    assert client.get("/").headers["Location"] == "/ko/desk/"
    assert client.get("/ko/").headers["Location"] == "/ko/desk/"
    assert client.get("/en/").headers["Location"] == "/en/desk/"
    client.post("/ko/logout")
    assert login(client, parties["staff"]).headers["Location"] == "/ko/staff/"
    assert client.get("/ko/").status_code == 200  # staff still see the public home page
    assert client.get("/ko/desk/").headers["Location"].endswith("/ko/staff/")
    client.post("/ko/logout")
    assert client.get("/ko/").status_code == 200  # anonymous visitors: the home page
    assert client.get("/ko/desk/").headers["Location"].startswith("/ko/login")


def test_the_desk_link_is_for_signed_in_members_only(client, parties):
    assert 'href="/ko/desk/"' not in client.get("/ko/offerings").get_data(as_text=True)
    login(client, parties["seller"])
    page = client.get("/ko/offerings").get_data(as_text=True)
    assert 'href="/ko/desk/">내 업무</a>' in page
    client.post("/ko/logout")
    login(client, parties["staff"])
    assert 'href="/ko/desk/"' not in client.get("/ko/offerings").get_data(as_text=True)


# ---- listing views --------------------------------------------------------------------------

def test_views_count_distinct_other_organisations(app, client, parties, tokens, make_user):
    p = parties
    offering = p["offering_id"]
    path = f"/ko/offerings/{offering}"
    client.get(path)  # anonymous: not counted
    login(client, p["seller"])
    client.get(path)  # own organisation: not counted
    client.post("/ko/logout")
    assert listing_row(client, tokens["seller"], offering)["views_30d"] == 0
    login(client, p["buyer"])
    client.get(path)
    client.get(path)  # the same organisation twice: once
    client.post("/ko/logout")
    assert listing_row(client, tokens["seller"], offering)["views_30d"] == 1
    login(client, p["staff"])
    client.get(path)  # staff at work: not counted
    client.post("/ko/logout")
    login(client, p["outsider"])
    client.get(path)
    client.post("/ko/logout")
    row = listing_row(client, tokens["seller"], offering)
    assert row["views_30d"] == 2 and row["kind"] == "offering" and row["status"] == "published"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ListingView)) == 2
    # the desk page shows the same number in the listing's row
    login(client, p["seller"])
    assert 'data-views-30d="2"' in client.get("/ko/desk/").get_data(as_text=True)


def test_a_counted_view_costs_one_insert_if_absent(app, client, parties):
    path = f"/ko/offerings/{parties['offering_id']}"
    login(client, parties["buyer"])
    client.get(path)
    for _ in range(2):  # the first visit of the day and a later one: one statement each
        with count_queries(app) as statements:
            assert client.get(path).status_code == 200
        touching = [s for s in statements if "listing_views" in s]
        assert len(touching) == 1 and touching[0].lstrip().upper().startswith("INSERT")
        assert "CONFLICT" in touching[0].upper()


def test_numbers_cover_the_last_30_days(app, client, parties, tokens, make_user):
    p = parties
    with app.test_request_context():
        today = local_day()
        orgs = [make_user(kind="firm").organisation_id for _ in range(3)]
        for org_id, days_ago in zip(orgs, (0, 29, 30), strict=True):
            db.session.add(ListingView(listing_id=p["offering_id"], organisation_id=org_id,
                                       day=today - timedelta(days=days_ago)))
        recent = open_deal(p)  # an inquiry on the offering, today
        old = open_deal(p, deal_type="poc")
        old.created_at = utcnow() - timedelta(days=31)
        # a startup's proposal on the buyer's need counts for the need, not as an inquiry
        services_deal = open_deal_as_seller(p)
        db.session.commit()
        assert recent.id and services_deal.id
    row = listing_row(client, tokens["seller"], p["offering_id"])
    assert row["views_30d"] == 2
    assert row["inquiries_30d"] == 1
    assert row["proposals_30d"] == 0
    need = listing_row(client, tokens["buyer"], p["need_id"])
    assert need["proposals_30d"] == 1 and need["inquiries_30d"] == 0


def open_deal_as_seller(p):
    from marketplace.deals import services as deal_services

    offering = make_listing(p["seller"].organisation_id)
    need = db.session.get(Listing, p["need_id"])
    return deal_services.open_deal(load(p["seller"]), offering, need, deal_type="license",
                                   message="제안드립니다.")


# ---- a new account's next steps -------------------------------------------------------------

def test_a_new_account_sees_its_next_steps(app, client, make_user):
    newcomer = make_user(kind="firm", verified=False)
    login(client, newcomer)
    page = client.get("/ko/desk/").get_data(as_text=True)
    assert 'data-step="verification_pending"' in page and "기관 인증을 기다리고 있습니다" in page
    assert 'data-step="complete_profile"' in page
    assert "주소(국문)" in page and "대표자(영문)" in page
    assert 'data-step="first_listing"' in page and 'href="/ko/needs/new"' in page
    assert 'id="no-actions"' in page and 'id="no-news"' in page and 'id="no-listings"' in page

    with app.test_request_context():
        org = db.session.get(Organisation, newcomer.organisation_id)
        org.address_ko, org.representative_ko = "서울특별시 중구 세종대로 110", "홍길동"
        db.session.commit()
        steps = {s.kind: s for s in services.next_steps(load(newcomer), has_listings=False)}
        assert "주소(국문)" not in steps["complete_profile"].missing
        assert "주소(영문)" in steps["complete_profile"].missing


def test_a_settled_account_has_no_next_steps(app, client, parties):
    p = parties
    with app.test_request_context():
        org = db.session.get(Organisation, p["seller"].organisation_id)
        for name in ("address_ko", "address_en", "representative_ko", "representative_en",
                     "business_type", "business_item"):
            setattr(org, name, "x")
        db.session.commit()
    login(client, p["seller"], lang="en")
    page = client.get("/en/desk/").get_data(as_text=True)
    assert 'id="next-steps"' not in page
    assert f'data-listing="{p["offering_id"]}"' in page


# ---- what is new ----------------------------------------------------------------------------

def test_news_lists_unread_notices_first_and_links_to_all(app, client, parties, tokens):
    from marketplace.notifications import services as centre

    p = parties
    with app.test_request_context():
        buyer = load(p["buyer"])
        org = db.session.get(Organisation, buyer.organisation_id)
        old = centre.notify(buyer, "organisation_verified", org)
        new = centre.notify(buyer, "organisation_verified", org)
        old.read_at = old.created_at
        db.session.commit()
        new_id, old_id = new.id, old.id
    news = client.get("/api/v1/desk?lang=en", headers=tokens["buyer"]).get_json()["news"]
    # the unread notice is shown; a read one of a kind that is not news is not
    assert [(n["id"], n["read"]) for n in news] == [(new_id, False)]
    assert news[0]["url"].endswith(f"/en/notifications/{new_id}")
    assert old_id not in [n["id"] for n in news]
    with app.test_request_context():
        db.session.execute(sa.update(Notification).where(Notification.id == new_id)
                           .values(kind="match_found"))
        db.session.commit()
    login(client, p["buyer"])
    page = client.get("/ko/desk/").get_data(as_text=True)
    assert 'href="/ko/notifications/"' in page


# ---- queries --------------------------------------------------------------------------------

def _queries(app, client) -> int:
    assert client.get("/ko/desk/").status_code == 200
    with count_queries(app) as statements:
        assert client.get("/ko/desk/").status_code == 200
    return len(statements)


def _add_deals(app, p, count: int) -> None:
    """Deals waiting on the seller at several steps, and listings with numbers."""
    with app.test_request_context():
        for _ in range(count):
            open_deal(p, fresh=True)  # an inquiry
            deal = open_deal(p, fresh=True)
            deal.accept_inquiry(load(p["seller"]))
            deal.propose_terms(load(p["buyer"]), None, LICENSE)  # an offer
        # the news are at most NEWS_LIMIT notices: measured here without them
        db.session.execute(sa.delete(Notification))
        db.session.commit()


def test_the_desk_runs_as_many_queries_for_many_deals_as_for_few(app, client, parties):
    p = parties
    _add_deals(app, p, 1)
    login(client, p["seller"])
    few = _queries(app, client)
    _add_deals(app, p, 4)
    many = _queries(app, client)
    page = client.get("/ko/desk/").get_data(as_text=True)
    assert page.count('data-action="answer_offer"') == 5
    assert page.count('data-action="answer_inquiry"') == 5
    assert many == few, f"{few} queries with 2 deals, {many} with 10"


def test_bookmarks_kept_in_the_30_days_count_for_the_listing(client, parties, tokens):
    p = parties
    offering = p["offering_id"]
    for reader in ("buyer", "outsider"):
        assert client.post("/api/v1/bookmarks", json={"listing_id": offering},
                           headers=tokens[reader]).status_code == 201
    assert listing_row(client, tokens["seller"], offering)["bookmarks_30d"] == 2
    client.delete(f"/api/v1/bookmarks/{offering}", headers=tokens["outsider"])
    assert listing_row(client, tokens["seller"], offering)["bookmarks_30d"] == 1
    login(client, p["seller"])
    assert 'data-bookmarks-30d="1"' in client.get("/ko/desk/").get_data(as_text=True)
