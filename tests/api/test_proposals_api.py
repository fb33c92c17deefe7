"""POST /api/v1/deals by a startup with `need_id`: its proposal for the firm's need (with one of
its offerings, or a written title and summary); it is the seller."""

import sqlalchemy as sa

from marketplace.api.tokens import create_token
from marketplace.deals.models import Deal
from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingStatus
from marketplace.notifications.models import Notification
from tests.deals.conftest import load, make_listing, parties  # noqa: F401  (fixture)

MESSAGE = "We can run a pilot on your cells within six weeks."


def _post(client, headers, **body):
    return client.post("/api/v1/deals", headers=headers, json={
        "deal_type": "license", "message": MESSAGE, **body})


def test_a_startup_proposes_its_offering_for_a_need(app, client, parties, tokens):  # noqa: F811
    p = parties
    response = _post(client, tokens["seller"], need_id=p["need_id"],
                     offering_id=p["offering_id"])
    assert response.status_code == 201, response.get_json()
    deal = response.get_json()
    assert deal["seller"]["id"] == p["seller"].organisation_id
    assert deal["buyer"]["id"] == p["buyer"].organisation_id
    assert (deal["state"], deal["need_id"], deal["offering_id"]) == (
        "inquiry", p["need_id"], p["offering_id"])
    with app.app_context():
        stored = db.session.get(Deal, deal["id"])
        assert stored.initiator_side.value == "seller"
        assert deal["seller"]["name"] == stored.seller.name
        assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
            Notification.kind == "proposal_received",
            Notification.user_id == p["buyer"].id)) == 1
    # the firm reads it and may accept it; outsiders get 404 as on every deal
    firm = client.get(f"/api/v1/deals/{deal['id']}", headers=tokens["buyer"]).get_json()
    assert "accept_inquiry" in firm["allowed_actions"] and "shortlist" in firm["allowed_actions"]
    for who in ("outsider", "staff"):
        assert client.get(f"/api/v1/deals/{deal['id']}",
                          headers=tokens[who]).status_code == 404
    # twice on the same need while the first is open: 409
    again = _post(client, tokens["seller"], need_id=p["need_id"], title="Another idea",
                  summary="Something else", deal_type="poc")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"


def test_a_written_proposal_without_an_offering(app, client, parties, tokens):  # noqa: F811
    p = parties
    response = _post(client, tokens["seller"], need_id=p["need_id"],
                     title="셀 단위 수명 예측 파일럿",
                     summary="6주 동안 귀사 라인 데이터로 검증합니다.")
    assert response.status_code == 201, response.get_json()
    deal = response.get_json()
    assert deal["seller"]["id"] == p["seller"].organisation_id
    with app.app_context():
        offering = db.session.get(Listing, deal["offering_id"])
        assert offering.status == ListingStatus.draft
        assert (offering.title_ko, offering.title_en) == ("셀 단위 수명 예측 파일럿", None)
        assert offering.organisation_id == p["seller"].organisation_id
    # not listed anywhere: the firm does not see it as an offering
    assert client.get(f"/api/v1/offerings/{deal['offering_id']}",
                      headers=tokens["buyer"]).status_code == 404


def test_refusals_are_translated_field_errors(app, client, parties, tokens,  # noqa: F811
                                              make_user):
    p = parties
    korean = make_user(kind="startup", lang="ko")
    unverified = make_user(kind="startup", lang="en", verified=False)
    with app.test_request_context():
        headers = {name: {"Authorization": f"Bearer {create_token(load(user), 't')[1]}"}
                   for name, user in (("korean", korean), ("unverified", unverified))}
        narrow = make_listing(p["buyer"].organisation_id, kind="need", deal_types=["poc"])
        hidden = make_listing(p["buyer"].organisation_id, kind="need")
        hidden.status = ListingStatus.closed
        db.session.commit()
        narrow_id, closed_id = narrow.id, hidden.id

    blank = _post(client, {**headers["korean"], "Accept-Language": "ko"},
                  need_id=p["need_id"], title="", summary="")
    assert blank.status_code == 422, blank.get_json()
    error = blank.get_json()["error"]
    assert set(error["fields"]) == {"title", "summary"}
    assert error["message"] == "보유 기술 중 하나를 선택하거나 간단한 제안을 작성하세요."

    english = {**tokens["seller"], "Accept-Language": "en"}
    wrong_type = _post(client, english, need_id=narrow_id, title="T", summary="S")
    assert wrong_type.status_code == 422
    assert wrong_type.get_json()["error"]["fields"]["deal_type"] == [
        "Choose a deal type the need accepts."]
    offered = _post(client, tokens["seller"], need_id=narrow_id, offering_id=p["offering_id"])
    assert offered.status_code == 422 and "deal_type" in offered.get_json()["error"]["fields"]

    nothing = _post(client, tokens["seller"])
    assert nothing.status_code == 422 and "offering_id" in nothing.get_json()["error"]["fields"]

    refused = _post(client, {**headers["unverified"], "Accept-Language": "en"},
                    need_id=p["need_id"], title="T", summary="S")
    assert refused.status_code == 403
    assert "must be verified by staff" in refused.get_json()["error"]["message"]
    for who in ("buyer", "outsider"):  # the need's own firm, another firm
        firm = _post(client, tokens[who], need_id=p["need_id"], title="T", summary="S")
        assert firm.status_code == 403, firm.get_json()
    for need_id in (closed_id, p["offering_id"], 999_999):
        assert _post(client, tokens["seller"], need_id=need_id, title="T",
                     summary="S").status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Deal.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(Listing.id)).where(
            Listing.status == ListingStatus.draft)) == 0
