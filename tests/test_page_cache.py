"""Pages kept for visitors who are not signed in: served again while nothing was written, and
rendered afresh after any commit that writes what such a page could show."""

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.listings import services
from marketplace.listings.models import Listing
from marketplace.listings.visits import ListingView, local_day
from marketplace.page_cache import PageCacheVersion, kept_pages
from tests.conftest import login
from tests.listings.helpers import make_listing, user


@pytest.fixture
def cached(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_CACHE_SIZE", 50)
    kept_pages(app).clear()
    yield kept_pages(app)
    kept_pages(app).clear()


def _listing(app, owner, **fields) -> int:
    with app.test_request_context():
        listing_id = make_listing(owner, **fields)
        db.session.remove()
        return listing_id


def _version(app):
    with app.app_context():
        return db.session.scalar(sa.select(PageCacheVersion.value))


def _edit(app, listing_id, **changes):
    with app.test_request_context():
        listing = db.session.get(Listing, listing_id)
        services.update_listing(listing, user(listing.created_by_id), changes)
        db.session.commit()
        db.session.remove()


def test_a_visitor_is_served_the_kept_page_until_a_commit_changes_it(app, client, make_user,
                                                                     cached):
    owner = make_user(kind="startup")
    listing_id = _listing(app, owner, title_ko="수소 연료전지 진단 장치")
    pages = [f"/ko/offerings/{listing_id}", "/ko/offerings?q=연료전지", "/en/offerings"]
    first = {path: client.get(path).get_data(as_text=True) for path in pages}
    assert "수소 연료전지 진단 장치" in first[pages[0]] + first[pages[1]]
    assert sorted(cached.values()) == sorted(first.values())
    assert {path: client.get(path).get_data(as_text=True) for path in pages} == first

    before = _version(app)
    _edit(app, listing_id, title_ko="수소 연료전지 스택 진단 장치")
    assert _version(app) > before
    detail = client.get(pages[0]).get_data(as_text=True)
    found = client.get(pages[1]).get_data(as_text=True)
    assert "수소 연료전지 스택 진단 장치" in detail and "수소 연료전지 스택 진단 장치" in found
    assert "수소 연료전지 진단 장치" not in detail
    assert len(cached) == 2  # the pages of the older version are gone


def test_writes_no_visitor_page_shows_keep_the_pages(app, client, make_user, cached):
    owner, viewer = make_user(kind="startup"), make_user(kind="firm")
    listing_id = _listing(app, owner, title_ko="스마트팜 양액 제어")
    client.get(f"/ko/offerings/{listing_id}")
    before = _version(app)
    with app.app_context():
        db.session.add(ListingView(listing_id=listing_id, organisation_id=viewer.organisation_id,
                                   day=local_day()))
        db.session.commit()
    assert _version(app) == before
    assert len(cached) == 1


def test_signed_in_users_flashes_and_errors_are_never_kept(app, client, make_user, cached):
    owner = make_user(kind="startup")
    listing_id = _listing(app, owner, title_ko="산업용 로봇 비전 검사")
    assert client.get("/ko/offerings/999999").status_code == 404
    assert client.get(f"/ko/needs/{listing_id}").status_code in (302, 404)
    assert len(cached) == 0
    login(client, owner)
    page = client.get(f"/ko/offerings/{listing_id}").get_data(as_text=True)
    assert len(cached) == 0
    assert f"/listings/{listing_id}/edit" in page  # the owner's own page
    client.post("/ko/logout")
    page = client.get(f"/ko/offerings/{listing_id}").get_data(as_text=True)
    assert "로그아웃" in page and len(cached) == 0  # it shows the message: not kept
    page = client.get(f"/ko/offerings/{listing_id}").get_data(as_text=True)
    assert f"/listings/{listing_id}/edit" not in page
    assert len(cached) == 1


def test_without_a_cache_commits_leave_the_version_alone(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_CACHE_SIZE", 0)
    owner = make_user(kind="startup")
    before = _version(app)
    _listing(app, owner, title_ko="드론 정밀 방제")
    assert _version(app) == before
