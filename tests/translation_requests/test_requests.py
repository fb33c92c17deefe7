"""Asking for a listing in the language it lacks: the owner is told, the request waits in the
staff queue, and everyone who asked is told once the text is there (the owner's or staff's)."""

import sqlalchemy as sa

from marketplace.api.tokens import create_token
from marketplace.audit import AuditEntry
from marketplace.extensions import db
from marketplace.listings import services as listing_services
from marketplace.listings.models import Listing
from marketplace.mail.models import OutboxMessage
from marketplace.notifications.models import Notification
from marketplace.translation_requests.models import TranslationRequest
from tests.conftest import login
from tests.listings.helpers import make_listing, user


def _korean_offering(app, make_user):
    owner = make_user(kind="startup", lang="ko")
    with app.test_request_context():
        listing_id = make_listing(owner)
    return owner, listing_id


def _notices(app, kind):
    with app.app_context():
        return [(n.user_id, n.data) for n in db.session.scalars(
            sa.select(Notification).where(Notification.kind == kind).order_by(Notification.id))]


def _mails(app, address):
    with app.app_context():
        return [m.subject + "\n" + m.body for m in db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.recipient == address))]


def test_an_english_reader_asks_the_owner_is_told_and_hears_back_when_the_owner_adds_it(
        app, client, make_user):
    owner, listing_id = _korean_offering(app, make_user)
    investor = make_user(kind="investor", lang="en")
    login(client, investor, lang="en")
    page = client.get(f"/en/offerings/{listing_id}").get_data(as_text=True)
    assert "This listing is written only in Korean." in page
    assert "Ask for an English version" in page
    response = client.post(f"/en/listings/{listing_id}/translation-requests")
    assert response.status_code == 303
    page = client.get(response.location).get_data(as_text=True)
    assert "We will tell you when it is added." in page and "Ask for an English version" not in page
    client.post(f"/en/listings/{listing_id}/translation-requests")  # again: nothing new
    assert _notices(app, "translation_requested") == [(owner.id, {"lang": "en"})]
    owner_mail = _mails(app, owner.email)
    assert len(owner_mail) == 1 and "영문 버전 요청이 들어왔습니다" in owner_mail[0]
    assert f"/ko/listings/{listing_id}/edit" in owner_mail[0]

    with app.test_request_context():
        listing_services.update_listing(db.session.get(Listing, listing_id), user(owner.id), {
            "title_en": "Battery diagnosis from BMS data",
            "summary_en": "Predicts the remaining life of EV batteries.",
            "description_en": "Reads BMS data to find weak and ageing cells early."})
        db.session.commit()
    assert _notices(app, "translation_added") == [(investor.id, {"lang": "en"})]
    mail = _mails(app, investor.email)[-1]
    assert "“Battery diagnosis from BMS data” is now written in English, as you asked." in mail
    with app.app_context():
        assert db.session.scalar(sa.select(TranslationRequest.fulfilled_at)) is not None
    page = client.get(f"/en/offerings/{listing_id}").get_data(as_text=True)
    assert "Battery diagnosis from BMS data" in page and "written only in Korean" not in page


def test_staff_see_the_queue_and_add_the_missing_language_without_touching_the_owners_text(
        app, client, make_user):
    owner, listing_id = _korean_offering(app, make_user)
    investor = make_user(kind="investor", lang="en")
    login(client, investor, lang="en")
    client.post(f"/en/listings/{listing_id}/translation-requests")
    client.post("/en/logout")
    staff = make_user(kind="agency", role="staff")
    login(client, staff)
    console = client.get("/ko/staff/").get_data(as_text=True)
    assert "번역 요청" in console
    queue = client.get("/ko/staff/translations").get_data(as_text=True)
    assert f'data-translation-request="{listing_id}"' in queue
    empty = client.post(f"/ko/staff/translations/{listing_id}", data={"title": " "})
    assert empty.status_code == 422
    assert "is-invalid" in empty.get_data(as_text=True)
    half = client.post(f"/ko/staff/translations/{listing_id}", data={
        "title": "EV battery diagnosis", "summary": "Finds weak cells early."})
    assert half.status_code == 422
    done = client.post(f"/ko/staff/translations/{listing_id}", data={
        "title": "EV battery diagnosis", "summary": "Finds weak cells early.",
        "description": "Reads BMS data to find weak and ageing cells early."})
    assert done.status_code == 303
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        assert listing.title_en == "EV battery diagnosis"
        assert listing.title_ko == "배터리관리시스템 기반 전기차 배터리 진단"
        assert db.session.scalar(sa.select(AuditEntry.kind).where(
            AuditEntry.subject_id == listing_id)) == "listing_translated"
    assert [u for u, _ in _notices(app, "translation_added")] == [investor.id]
    assert f'data-translation-request="{listing_id}"' not in client.get(
        "/ko/staff/translations").get_data(as_text=True)
    assert client.get(f"/ko/staff/translations/{listing_id}").status_code == 404
    client.post("/ko/logout")
    login(client, investor, lang="en")
    assert client.post(f"/ko/staff/translations/{listing_id}").status_code in (403, 404)


def test_refusals_on_pages(app, client, make_user):
    owner, listing_id = _korean_offering(app, make_user)
    anonymous = client.get(f"/en/offerings/{listing_id}").get_data(as_text=True)
    assert "Sign in to ask for an English version." in anonymous
    login(client, owner, lang="en")
    assert "Ask for an English version" not in client.get(
        f"/en/offerings/{listing_id}").get_data(as_text=True)
    client.post(f"/en/listings/{listing_id}/translation-requests")
    client.post("/en/logout")
    reader = make_user(kind="firm", lang="ko")
    login(client, reader)
    client.post(f"/ko/listings/{listing_id}/translation-requests")  # Korean page: has Korean
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(TranslationRequest.id))) == 0
    with app.test_request_context():
        draft = make_listing(owner, publish=False)
    assert client.post(f"/en/listings/{draft}/translation-requests").status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(TranslationRequest.id))) == 0


def test_the_api_asks_once_and_refuses_what_it_should(app, client, make_user):
    owner, listing_id = _korean_offering(app, make_user)
    investor = make_user(kind="investor", lang="en")
    with app.test_request_context():
        header = {"Authorization": f"Bearer {create_token(user(investor.id), 't')[1]}"}
        owner_header = {"Authorization": f"Bearer {create_token(user(owner.id), 't')[1]}"}
        db.session.commit()
    url = f"/api/v1/offerings/{listing_id}/translation-requests"
    first = client.post(url, json={}, headers=header)
    assert first.status_code == 201
    body = first.get_json()
    assert body["listing_id"] == listing_id and body["lang"] == "en" and not body["fulfilled"]
    again = client.post(url, json={"lang": "en"}, headers=header)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    assert client.post(f"/api/v1/needs/{listing_id}/translation-requests", json={},
                       headers=header).status_code == 404
    assert client.post(url, json={"lang": "ko"}, headers=header).status_code == 409
    assert client.post(url, json={"lang": "fr"}, headers=header).status_code == 422
    assert client.post(url, json={}, headers=owner_header).status_code == 403
    assert client.post(url, json={}).status_code == 401
    assert len(_notices(app, "translation_requested")) == 1
