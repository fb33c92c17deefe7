import pytest

from marketplace.api.tokens import create_token
from marketplace.extensions import db
from marketplace.listings.models import Listing

OFFERING = {
    "title_ko": "물류드론 배터리관리시스템", "summary_ko": "장거리 물류드론을 위한 배터리 관리",
    "description_ko": "물류드론의 배터리 상태를 실시간으로 추정하여 비행시간을 늘립니다.",
    "sector": "drone", "trl": 7, "deal_types": ["license", "poc"], "keywords": ["드론", "배터리"],
    "price_min": 50_000_000, "price_max": 120_000_000, "currency": "KRW",
    "confidential_text": "셀 밸런싱 알고리즘 상세",
}


@pytest.fixture
def token_for(app):
    def make(user):
        with app.test_request_context():
            _, secret = create_token(db.session.merge(user), "tests")
            db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make


def test_create_publish_read_and_search(client, make_user, token_for):
    startup = make_user(kind="startup")
    auth = token_for(startup)
    created = client.post("/api/v1/offerings", json=OFFERING, headers=auth)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["status"] == "draft" and body["organisation"]["verified"] is True
    listing_id = body["id"]
    assert client.get(f"/api/v1/offerings/{listing_id}").status_code == 404  # draft: not public
    assert client.get(f"/api/v1/offerings/{listing_id}", headers=auth).status_code == 200
    published = client.post(f"/api/v1/offerings/{listing_id}/publish", headers=auth)
    assert published.get_json()["status"] == "published"

    public = client.get(f"/api/v1/offerings/{listing_id}").get_json()
    assert public["title_ko"] == OFFERING["title_ko"] and public["confidential_text"] is None
    owner_view = client.get(f"/api/v1/offerings/{listing_id}", headers=auth).get_json()
    assert owner_view["confidential_text"] == "셀 밸런싱 알고리즘 상세"

    page = client.get("/api/v1/offerings", query_string={"q": "배터리", "trl_min": 6}).get_json()
    assert page["total"] == 1 and page["items"][0]["id"] == listing_id
    assert page["page"] == 1 and page["per_page"] == 20
    assert client.get("/api/v1/offerings", query_string={"q": "배터리", "trl_min": 8}
                      ).get_json()["total"] == 0
    assert client.get("/api/v1/needs/" + str(listing_id)).status_code == 404  # wrong kind


def test_patch_makes_a_new_version_and_close(client, make_user, token_for):
    auth = token_for(make_user(kind="startup"))
    listing_id = client.post("/api/v1/offerings", json=OFFERING, headers=auth).get_json()["id"]
    patched = client.patch(f"/api/v1/offerings/{listing_id}", json={"trl": 8}, headers=auth)
    assert patched.status_code == 200 and patched.get_json()["version"] == 2
    client.post(f"/api/v1/offerings/{listing_id}/publish", headers=auth)
    closed = client.post(f"/api/v1/offerings/{listing_id}/close", json={"reason": "withdrawn"},
                         headers=auth)
    assert closed.get_json()["status"] == "closed"


def test_errors_are_json_translated_and_leave_nothing_behind(app, client, make_user, token_for):
    auth = token_for(make_user(kind="startup"))
    missing = client.post("/api/v1/offerings", json={"sector": "drone"}, headers=auth)
    assert missing.status_code == 400
    error = missing.get_json()["error"]
    assert error["code"] == "invalid" and "trl" in error["fields"]
    bad_type = client.post("/api/v1/offerings", json={**OFFERING, "trl": "high"},
                           headers={**auth, "Accept-Language": "ko"})
    assert bad_type.status_code == 422
    assert bad_type.get_json()["error"]["fields"]["trl"] == ["올바른 정수가 아닙니다."]
    unknown = client.post("/api/v1/offerings", json={**OFFERING, "min_trl": 3}, headers=auth)
    assert unknown.status_code == 422
    with app.app_context():
        assert db.session.query(Listing).count() == 0


def test_authentication_and_ownership(client, make_user, token_for):
    assert client.post("/api/v1/offerings", json=OFFERING).status_code == 401
    bad = client.post("/api/v1/offerings", json=OFFERING,
                      headers={"Authorization": "Bearer tto_not-a-token"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "unauthorized"
    owner_auth = token_for(make_user(kind="startup"))
    listing_id = client.post("/api/v1/offerings", json=OFFERING,
                             headers=owner_auth).get_json()["id"]
    other_auth = token_for(make_user(kind="startup"))
    # another organisation's draft does not exist for it
    assert client.get(f"/api/v1/offerings/{listing_id}", headers=other_auth).status_code == 404
    assert client.patch(f"/api/v1/offerings/{listing_id}", json={"trl": 9},
                        headers=other_auth).status_code == 404
    client.post(f"/api/v1/offerings/{listing_id}/publish", headers=owner_auth)
    refused = client.patch(f"/api/v1/offerings/{listing_id}", json={"trl": 9},
                           headers=other_auth)
    assert refused.status_code == 403
    firm_auth = token_for(make_user(kind="firm"))
    assert client.post("/api/v1/offerings", json=OFFERING,
                       headers=firm_auth).status_code == 403  # firms post needs


def test_session_cookie_does_not_authorise_the_api(client, make_user):
    from tests.conftest import login

    login(client, make_user(kind="startup"))
    assert client.post("/api/v1/offerings", json=OFFERING).status_code == 401


def test_a_change_must_be_valid_over_any_listing(client, make_user, token_for):
    auth = token_for(make_user(kind="startup"))
    listing_id = client.post("/api/v1/offerings", json=OFFERING, headers=auth).get_json()["id"]
    url = f"/api/v1/offerings/{listing_id}"
    part = client.patch(url, json={"title_ko": "새 제목"}, headers=auth)
    assert part.status_code == 422 and "title_ko" in part.get_json()["error"]["fields"]
    one_price = client.patch(url, json={"price_max": 200_000_000}, headers=auth)
    assert one_price.status_code == 422 and "price_min" in one_price.get_json()["error"]["fields"]
    emptied = client.patch(url, json={"title_ko": "", "summary_ko": "", "description_ko": ""},
                           headers=auth)
    assert emptied.status_code == 422
    whole = client.patch(url, json={"title_ko": "새 제목", "summary_ko": "요약",
                                    "description_ko": "설명", "price_min": 1, "price_max": 2,
                                    "currency": "KRW"}, headers=auth)
    assert whole.status_code == 200 and whole.get_json()["title_ko"] == "새 제목"


def test_a_change_of_state_that_no_longer_applies_is_a_conflict(client, make_user, token_for):
    auth = token_for(make_user(kind="startup"))
    listing_id = client.post("/api/v1/offerings", json=OFFERING, headers=auth).get_json()["id"]
    close = {"reason": "withdrawn"}
    assert client.post(f"/api/v1/offerings/{listing_id}/close", json=close,
                       headers=auth).status_code == 409  # a draft is not published
    assert client.post(f"/api/v1/offerings/{listing_id}/publish", headers=auth).status_code == 200
    again = client.post(f"/api/v1/offerings/{listing_id}/publish", headers=auth)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    assert client.post(f"/api/v1/offerings/{listing_id}/close", json=close,
                       headers=auth).status_code == 200
    edit = client.patch(f"/api/v1/offerings/{listing_id}", json={"trl": 9}, headers=auth)
    assert edit.status_code == 409
