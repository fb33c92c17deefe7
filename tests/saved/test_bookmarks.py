"""Bookmarks: a toggle on a listing's page, the bookmarks page (a listing that went away stays,
marked), the API, each user seeing only their own, and the counts per listing for the desk."""

from datetime import timedelta

import sqlalchemy as sa

from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.saved import bookmark_counts
from marketplace.saved.models import Bookmark
from tests.conftest import login

from .helpers import draft, published, token


def _bookmarked(app, user) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Bookmark.listing_id).where(
            Bookmark.user_id == user.id).order_by(Bookmark.id)))


def test_the_listing_page_toggles_a_bookmark(app, client, make_user):
    listing_id = published(app, make_user(kind="startup"))
    page = client.get(f"/ko/offerings/{listing_id}").get_data(as_text=True)
    assert 'id="bookmark"' not in page  # visitors: no button
    firm = make_user(kind="firm")
    login(client, firm)
    page = client.get(f"/ko/offerings/{listing_id}").get_data(as_text=True)
    assert "이 게시물 북마크" in page and "data-bookmarked" not in page

    response = client.post(f"/ko/listings/{listing_id}/bookmark")
    assert response.status_code == 303
    assert response.location.endswith(f"/ko/offerings/{listing_id}")
    assert _bookmarked(app, firm) == [listing_id]
    page = client.get(f"/ko/offerings/{listing_id}").get_data(as_text=True)
    assert "게시물을 북마크에 추가했습니다." in page and "data-bookmarked" in page

    client.post(f"/ko/listings/{listing_id}/bookmark")
    assert _bookmarked(app, firm) == []


def test_own_listings_and_drafts_cannot_be_bookmarked(app, client, make_user):
    startup = make_user(kind="startup")
    own = published(app, startup)
    login(client, startup)
    assert 'id="bookmark"' not in client.get(f"/ko/offerings/{own}").get_data(as_text=True)
    page = client.post(f"/ko/listings/{own}/bookmark", follow_redirects=True)
    assert "소속 기관의 게시물은 북마크할 수 없습니다." in page.get_data(as_text=True)
    client.post("/ko/logout")
    hidden_draft = draft(app, startup)
    login(client, make_user(kind="firm"))
    assert client.post(f"/ko/listings/{hidden_draft}/bookmark").status_code == 404
    assert _bookmarked(app, startup) == []


def test_the_bookmarks_page_marks_listings_that_went_away(app, client, make_user):
    startup, staff = make_user(kind="startup"), make_user(kind="agency", role="staff")
    live, closed, hidden = (published(app, startup, title_ko=title)
                            for title in ("살아있는 공급", "마감된 공급", "숨겨진 공급"))
    firm = make_user(kind="firm", lang="en")
    login(client, firm, lang="en")
    for listing_id in (live, closed, hidden):
        client.post(f"/en/listings/{listing_id}/bookmark")
    with app.test_request_context():
        db.session.get(Listing, closed).close(db.session.merge(startup), "withdrawn")
        db.session.get(Listing, hidden).hide(db.session.merge(staff), "허위 정보")
        db.session.commit()

    page = client.get("/en/bookmarks").get_data(as_text=True)
    assert f'data-bookmark="{live}" data-state="available"' in page
    assert f'data-bookmark="{closed}" data-state="closed"' in page
    assert f'data-bookmark="{hidden}" data-state="gone"' in page
    assert "살아있는 공급" in page and "마감된 공급" in page
    assert "숨겨진 공급" not in page and "This listing is no longer available." in page

    response = client.post(f"/en/bookmarks/{hidden}/delete")
    assert response.status_code == 303 and response.location.endswith("/en/bookmarks")
    assert sorted(_bookmarked(app, firm)) == sorted([live, closed])
    assert client.post(f"/en/bookmarks/{hidden}/delete").status_code == 404


def test_the_api_bookmarks_lists_and_removes(app, client, make_user):
    listing_id = published(app, make_user(kind="startup"))
    user = make_user(kind="firm")
    headers = token(app, user)
    created = client.post("/api/v1/bookmarks", json={"listing_id": listing_id},
                          headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["state"] == "available"
    assert created.json["listing"]["title_ko"] == "배터리관리시스템 기반 전기차 배터리 진단"
    again = client.post("/api/v1/bookmarks", json={"listing_id": listing_id}, headers=headers)
    assert again.status_code == 200 and _bookmarked(app, user) == [listing_id]

    listed = client.get("/api/v1/bookmarks", headers=headers).json
    assert listed["total"] == 1 and listed["items"][0]["listing_id"] == listing_id

    assert client.delete(f"/api/v1/bookmarks/{listing_id}", headers=headers).status_code == 204
    assert client.delete(f"/api/v1/bookmarks/{listing_id}", headers=headers).status_code == 404
    assert client.get("/api/v1/bookmarks", headers=headers).json["total"] == 0
    missing = client.post("/api/v1/bookmarks", json={"listing_id": 999_999}, headers=headers)
    assert missing.status_code == 404
    bad = client.post("/api/v1/bookmarks", json={"listing_id": "x"}, headers=headers)
    assert bad.status_code == 422 and "listing_id" in bad.json["error"]["fields"]


def test_the_api_keeps_bookmarks_to_their_owner(app, client, make_user):
    listing_id = published(app, make_user(kind="startup"))
    owner, other = make_user(kind="firm"), make_user(kind="firm")
    mine, theirs = token(app, owner), token(app, other)
    client.post("/api/v1/bookmarks", json={"listing_id": listing_id}, headers=mine)
    assert client.get("/api/v1/bookmarks", headers=theirs).json["total"] == 0
    assert client.delete(f"/api/v1/bookmarks/{listing_id}", headers=theirs).status_code == 404
    assert _bookmarked(app, owner) == [listing_id]
    login(client, other)
    assert f'data-bookmark="{listing_id}"' not in client.get(
        "/ko/bookmarks").get_data(as_text=True)
    assert client.post(f"/ko/bookmarks/{listing_id}/delete").status_code == 404
    assert _bookmarked(app, owner) == [listing_id]


def test_the_bookmarks_page_needs_a_signed_in_user(client):
    assert client.get("/ko/bookmarks").status_code == 302


def test_bookmark_counts_per_listing_since_a_date(app, make_user):
    startup = make_user(kind="startup")
    first, second, quiet = (published(app, startup) for _ in range(3))
    users = [make_user(kind="firm") for _ in range(3)]
    now = utcnow()
    with app.app_context():
        for user, listing_id, days_ago in ((users[0], first, 0), (users[1], first, 1),
                                           (users[2], first, 10), (users[0], second, 2)):
            db.session.add(Bookmark(user_id=user.id, listing_id=listing_id,
                                    created_at=now - timedelta(days=days_ago)))
        db.session.commit()
    with app.test_request_context():
        week_ago = now - timedelta(days=7)
        assert bookmark_counts([first, second, quiet], week_ago) == {first: 2, second: 1,
                                                                     quiet: 0}
        assert bookmark_counts([first], now - timedelta(days=30)) == {first: 3}
        assert bookmark_counts([], week_ago) == {}
        assert bookmark_counts([first, second], week_ago.date()) == {first: 2, second: 1}
