"""Saved searches: saved from the browse page or the API, listed, run again, deleted, each user
seeing only their own; and their owners told once of each newly published listing that
matches, never of a draft, a hidden listing or one of their own organisation."""

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.saved.alerts import announce_listing
from marketplace.saved.models import SavedSearch, SavedSearchHit
from tests.conftest import login

from .helpers import draft, mails, notices, published, token

BATTERY = {"kind": "offering", "q": "배터리", "sector": "mobility", "trl_min": "5",
           "deal_type": "license"}


def _saved(app, user) -> list[SavedSearch]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(SavedSearch).where(
            SavedSearch.user_id == user.id).order_by(SavedSearch.id)))
        db.session.expunge_all()
        return rows


def _publish_as(client, owner, listing_id, lang="ko"):
    login(client, owner, lang=lang)
    response = client.post(f"/{lang}/listings/{listing_id}/publish")
    assert response.status_code == 302
    client.post(f"/{lang}/logout")


# -- saving, listing, deleting -------------------------------------------------------------------


def test_the_browse_page_offers_to_save_its_query_to_signed_in_users_only(client, make_user):
    page = client.get("/ko/offerings?q=배터리&sector=mobility").get_data(as_text=True)
    assert 'id="save-search"' not in page
    login(client, make_user(kind="firm"))
    page = client.get("/ko/offerings?q=배터리&sector=mobility&trl_min=5").get_data(as_text=True)
    assert 'id="save-search"' in page and "이 검색 저장" in page
    assert 'name="q" value="배터리"' in page and 'name="trl_min" value="5"' in page
    assert 'name="kind" value="offering"' in page


def test_save_list_run_and_delete_on_the_pages(app, client, make_user):
    user = make_user(kind="firm", lang="en")
    login(client, user, lang="en")
    response = client.post("/en/saved-searches", data=BATTERY)
    assert response.status_code == 303
    assert response.location.startswith("/en/offerings?")
    assert "q=%EB%B0%B0%ED%84%B0%EB%A6%AC" in response.location
    [search] = _saved(app, user)
    assert (search.kind, search.q, search.sector, search.trl_min, search.trl_max,
            search.deal_type, search.lang) == ("offering", "배터리", "mobility", 5, None,
                                               "license", None)
    assert search.label == "“배터리” · Mobility · TRL 5 or higher · Licence"

    page = client.get("/en/saved-searches").get_data(as_text=True)
    assert f'data-saved-search="{search.id}"' in page and "Run the search" in page
    assert ("/en/offerings?q=%EB%B0%B0%ED%84%B0%EB%A6%AC&amp;sector=mobility&amp;trl_min=5"
            "&amp;deal_type=license") in page

    again = client.post("/en/saved-searches", data=BATTERY, follow_redirects=True)
    assert "You have already saved this search." in again.get_data(as_text=True)
    assert len(_saved(app, user)) == 1

    deleted = client.post(f"/en/saved-searches/{search.id}/delete")
    assert deleted.status_code == 303 and _saved(app, user) == []
    assert "No saved searches yet." in client.get("/en/saved-searches").get_data(as_text=True)


def test_a_search_without_filters_is_named_by_what_it_covers(app, client, make_user):
    user = make_user(kind="startup")
    login(client, user)
    client.post("/ko/saved-searches", data={"kind": "need"})
    assert [s.label for s in _saved(app, user)] == ["모든 기술 수요"]


def test_bad_values_are_refused_with_a_message(app, client, make_user):
    user = make_user(kind="firm")
    login(client, user)
    page = client.post("/ko/saved-searches", data={**BATTERY, "trl_min": "7", "trl_max": "3"},
                       follow_redirects=True).get_data(as_text=True)
    assert "검색을 저장하지 못했습니다." in page
    assert _saved(app, user) == []


def test_the_pages_need_a_signed_in_user(client):
    assert client.get("/ko/saved-searches").status_code == 302
    assert client.post("/ko/saved-searches", data=BATTERY).status_code == 302


def test_nobody_deletes_another_users_saved_search(app, client, make_user):
    owner, other = make_user(kind="firm"), make_user(kind="firm")
    login(client, owner)
    client.post("/ko/saved-searches", data=BATTERY)
    [search] = _saved(app, owner)
    client.post("/ko/logout")
    login(client, other)
    assert client.post(f"/ko/saved-searches/{search.id}/delete").status_code == 404
    assert f'data-saved-search="{search.id}"' not in client.get(
        "/ko/saved-searches").get_data(as_text=True)
    assert len(_saved(app, owner)) == 1


def test_the_api_saves_lists_reads_and_deletes(app, client, make_user):
    user = make_user(kind="firm", lang="en")
    headers = token(app, user)
    body = {"kind": "need", "q": "미세먼지", "sector": "environment", "trl_min": 3,
            "trl_max": 8, "deal_type": None, "lang": "ko"}
    created = client.post("/api/v1/saved-searches", json=body, headers=headers)
    assert created.status_code == 201, created.json
    item = created.json
    assert {k: item[k] for k in body} == body
    assert item["label"] == "“미세먼지” · Environment · TRL 3 to 8 · Written in Korean"
    assert item["url"].startswith("http://localhost/en/needs?q=")
    assert client.post("/api/v1/saved-searches", json=body, headers=headers).status_code == 409

    listed = client.get("/api/v1/saved-searches", headers=headers).json
    assert listed["total"] == 1 and listed["items"][0]["id"] == item["id"]
    assert client.get(f"/api/v1/saved-searches/{item['id']}",
                      headers=headers).json["q"] == "미세먼지"
    named = client.post("/api/v1/saved-searches", json={"kind": "offering", "label": "AI"},
                        headers=headers)
    assert named.status_code == 201 and named.json["label"] == "AI"

    assert client.delete(f"/api/v1/saved-searches/{item['id']}",
                         headers=headers).status_code == 204
    assert client.get(f"/api/v1/saved-searches/{item['id']}",
                      headers=headers).status_code == 404
    assert client.get("/api/v1/saved-searches", headers=headers).json["total"] == 1


def test_the_api_refuses_bad_values_in_the_users_language(app, client, make_user):
    headers = token(app, make_user(kind="firm", lang="ko"))
    headers["Accept-Language"] = "ko"
    answer = client.post("/api/v1/saved-searches", headers=headers,
                         json={"kind": "need", "trl_min": 8, "trl_max": 2})
    assert answer.status_code == 422
    assert answer.json["error"]["fields"]["trl_max"] == [
        "최고 기술성숙도는 최저 기술성숙도보다 낮을 수 없습니다."]
    answer = client.post("/api/v1/saved-searches", headers=headers,
                         json={"kind": "deal", "sector": "space"})
    assert answer.status_code == 422
    assert set(answer.json["error"]["fields"]) == {"kind", "sector"}
    assert client.post("/api/v1/saved-searches", json={"kind": "need"}).status_code == 401


def test_the_api_hides_other_users_saved_searches(app, client, make_user):
    mine, theirs = token(app, make_user(kind="firm")), token(app, make_user(kind="firm"))
    search_id = client.post("/api/v1/saved-searches", json={"kind": "need"},
                            headers=theirs).json["id"]
    assert client.get(f"/api/v1/saved-searches/{search_id}", headers=mine).status_code == 404
    assert client.delete(f"/api/v1/saved-searches/{search_id}",
                         headers=mine).status_code == 404
    assert client.get("/api/v1/saved-searches", headers=mine).json["total"] == 0
    assert client.get(f"/api/v1/saved-searches/{search_id}", headers=theirs).status_code == 200


# -- notices of newly published listings ---------------------------------------------------------


def test_publishing_a_matching_listing_tells_the_owner_once(app, client, make_user):
    watcher = make_user(kind="firm", lang="en")
    login(client, watcher, lang="en")
    client.post("/en/saved-searches", data=BATTERY)
    client.post("/en/logout")
    [search] = _saved(app, watcher)
    startup = make_user(kind="startup")
    listing_id = draft(app, startup)  # 배터리관리시스템 기반 전기차 배터리 진단, mobility, TRL 7
    assert notices(app, watcher) == []

    _publish_as(client, startup, listing_id)

    [notice] = notices(app, watcher)
    assert (notice.subject_type, notice.subject_id) == ("listing", listing_id)
    assert notice.data == {"saved_search_id": search.id, "label": search.label}
    [mail] = mails(app, watcher)
    assert "A new listing matches your saved search ““배터리” · Mobility" in mail.subject
    assert "배터리관리시스템 기반 전기차 배터리 진단" in mail.subject
    assert f"/en/offerings/{listing_id}" in mail.body

    login(client, watcher, lang="en")
    page = client.get("/en/notifications/").get_data(as_text=True)
    assert "A new listing matches your saved search" in page
    opened = client.get(f"/en/notifications/{notice.id}")
    assert opened.location.endswith(f"/en/offerings/{listing_id}")

    with app.test_request_context():  # the job again, as a retry would run it
        assert announce_listing(listing_id) == 0
    with app.test_request_context():  # closed and reopened: published anew, told already
        listing = db.session.get(Listing, listing_id)
        owner = db.session.merge(startup)
        listing.close(owner, "withdrawn")
        db.session.commit()
        listing.reopen(owner)
        db.session.commit()
    assert len(notices(app, watcher)) == 1 and len(mails(app, watcher)) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SavedSearchHit.id))) == 1

    with app.test_request_context():  # hidden by staff: the notice no longer shows it
        staff = make_user(kind="agency", role="staff")
        db.session.get(Listing, listing_id).hide(db.session.merge(staff), "허위 정보")
        db.session.commit()
    page = client.get("/en/notifications/").get_data(as_text=True)
    assert "배터리관리시스템" not in page and "A new listing matches" not in page


def test_a_korean_reader_is_told_in_korean(app, client, make_user):
    watcher = make_user(kind="firm", lang="ko")
    login(client, watcher)
    client.post("/ko/saved-searches", data={"kind": "offering", "q": "배터리 진단"})
    client.post("/ko/logout")
    published(app, make_user(kind="startup"))
    [mail] = mails(app, watcher)
    assert "저장한 검색 ““배터리 진단””에 맞는 새 게시물이 올라왔습니다" in mail.subject


def test_only_matching_searches_of_other_organisations_are_told(app, client, make_user):
    startup = make_user(kind="startup")
    colleague = make_user(kind="firm")
    with app.app_context():  # a second member of the startup
        db.session.get(User, colleague.id).organisation_id = startup.organisation_id
        db.session.commit()
    misses = {
        "other words": {"kind": "offering", "q": "배터리 드론택시"},
        "other sector": {**BATTERY, "sector": "energy"},
        "TRL too high": {**BATTERY, "trl_min": "8"},
        "TRL too low": {**BATTERY, "trl_min": None, "trl_max": "6"},
        "other deal type": {**BATTERY, "deal_type": "investment"},
        "English only": {**BATTERY, "lang": "en"},
        "needs": {**BATTERY, "kind": "need"},
        "no searchable word": {"kind": "offering", "q": "!!!"},
    }
    watchers = {}
    for name, data in misses.items():
        watchers[name] = make_user(kind="firm")
        login(client, watchers[name])
        client.post("/ko/saved-searches", data={k: v for k, v in data.items() if v})
        assert len(_saved(app, watchers[name])) == 1, name
        client.post("/ko/logout")
    hits = {"all offerings": {"kind": "offering"},
            "English word of a Korean listing": {"kind": "offering", "q": "BMS"},
            "inflected keyword": {"kind": "offering", "q": "배터리를 진단"},
            "written in Korean": {**BATTERY, "lang": "ko"}}
    for name, data in hits.items():
        watchers[name] = make_user(kind="firm")
        login(client, watchers[name])
        client.post("/ko/saved-searches", data=data)
        client.post("/ko/logout")
    login(client, colleague)  # a member of the publishing organisation
    client.post("/ko/saved-searches", data=BATTERY)
    client.post("/ko/logout")

    listing_id = draft(app, startup)
    _publish_as(client, startup, listing_id)

    told = {name for name, user in watchers.items() if notices(app, user)}
    assert told == set(hits)
    assert notices(app, colleague) == [] and notices(app, startup) == []


def test_drafts_and_hidden_listings_are_told_to_nobody(app, client, make_user):
    watcher = make_user(kind="firm")
    login(client, watcher)
    client.post("/ko/saved-searches", data={"kind": "offering"})
    client.post("/ko/logout")
    startup, staff = make_user(kind="startup"), make_user(kind="agency", role="staff")
    draft_id = draft(app, startup)
    with app.test_request_context():
        assert announce_listing(draft_id) == 0
        db.session.commit()
        # published and hidden by staff before the job ran
        listing = db.session.get(Listing, draft_id)
        listing.publish(db.session.merge(startup))
        listing.hide(db.session.merge(staff), "허위 정보")
        db.session.commit()
    assert notices(app, watcher) == []
    with app.test_request_context():
        assert announce_listing(draft_id) == 0
        db.session.commit()
    assert notices(app, watcher) == [] and mails(app, watcher) == []
