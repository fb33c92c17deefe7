import io
from datetime import timedelta

import pytest

from marketplace.accounts.models import Organisation, Verification
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.listings import services
from marketplace.listings.models import Attachment, Listing, ListingStatus
from marketplace.mail.models import OutboxMessage
from marketplace.page_cache import kept_pages

from .helpers import EXE, JPEG, PDF, PNG, make_listing, user


@pytest.fixture(autouse=True)
def _attachment_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LISTING_ATTACHMENT_DIR", str(tmp_path / "files"))


def _create(app, owner, **kw):
    with app.test_request_context():
        listing_id = make_listing(owner, **kw)
        db.session.remove()
        return listing_id


def _get(app, listing_id):
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        db.session.expunge(listing)
        return listing


OFFERING_FORM = {
    "title_ko": "물류드론 충전 스테이션", "summary_ko": "드론 거점 자동 충전",
    "description_ko": "물류드론이 착륙하면 자동으로 충전합니다.", "sector": "drone",
    "trl": "6", "deal_types": ["poc", "supply"], "keywords": "드론, 충전",
    "currency": "KRW", "price_min": "10000000", "price_max": "30000000",
    "ip_status": "none", "confidential_text": "비밀 설계",
}


def test_browse_and_search_pages(app, client, make_user):
    owner = make_user(kind="startup")
    listing_id = _create(app, owner, title_ko="배터리관리시스템 진단")
    english_id = _create(app, owner, title_ko=None, summary_ko=None, description_ko=None,
                         title_en="Battery analytics", summary_en="Predicts battery life.",
                         description_en="Battery data.")
    page = client.get("/ko/offerings?q=배터리")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "배터리관리시스템 진단" in html and "Battery analytics" in html
    assert "영어로 작성됨" in html  # the English-only listing is labelled in Korean pages
    page = client.get("/en/offerings?q=battery&lang=en&sort=newest&verified=1")
    html = page.get_data(as_text=True)
    assert "Battery analytics" in html and "배터리관리시스템 진단" not in html
    assert client.get("/en/offerings?trl_min=abc&page=-3&sector=moon").status_code == 200
    assert client.get("/ko/needs?challenge=1").status_code == 200
    detail = client.get(f"/en/offerings/{listing_id}").get_data(as_text=True)
    assert "Written in Korean" in detail and "비밀 설계" not in detail
    assert "셀 밸런싱" not in detail  # confidential text
    assert client.get(f"/en/needs/{listing_id}").status_code == 404  # wrong kind
    assert client.get(f"/ko/offerings/{english_id}").status_code == 200


def test_post_offering_through_the_form(app, client, make_user, login_as):
    owner = make_user(kind="startup")
    login_as(owner)
    assert client.get("/ko/offerings/new").status_code == 200
    assert client.get("/ko/needs/new").status_code == 403
    response = client.post("/ko/offerings/new", data={**OFFERING_FORM, "action": "publish"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        listing = db.session.scalar(db.select(Listing))
        assert listing.status == ListingStatus.published
        assert listing.price_min == 10_000_000 and listing.currency == "KRW"
        assert listing.deal_types == ["poc", "supply"] and listing.keywords == ["드론", "충전"]
        listing_id = listing.id
    html = client.get(f"/ko/offerings/{listing_id}").get_data(as_text=True)
    assert "비밀 설계" in html  # the owner sees the confidential section
    assert "₩10,000,000" in html
    mine = client.get("/ko/my/listings").get_data(as_text=True)
    assert "물류드론 충전 스테이션" in mine


@pytest.mark.parametrize("changes, field_message", [
    ({"title_ko": "", "summary_ko": "", "description_ko": ""}, "한국어 또는 영어로"),
    ({"trl": "11"}, ""),
    ({"deal_types": []}, "거래 유형을 하나 이상"),
    ({"price_min": "5", "price_max": "1"}, "최솟값보다"),
    ({"currency": "USD", "price_min": "1.234"}, "소수점"),
    ({"title_en": "Half English"}, "영어 버전을 완성"),
])
def test_form_errors_are_translated(app, client, make_user, login_as, changes, field_message):
    login_as(make_user(kind="startup"))
    response = client.post("/ko/offerings/new", data={**OFFERING_FORM, **changes})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "invalid-feedback" in html
    assert field_message in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Listing)) == 0


def test_need_form_and_deadline(app, client, make_user, login_as):
    login_as(make_user(kind="firm"))
    data = {"title_en": "Dust reduction", "summary_en": "Reduce fine dust in paint shops.",
            "description_en": "We need dust control.", "sector": "environment",
            "min_trl": "6", "deal_types": ["poc"], "currency": "USD", "price_max": "5000.50",
            "deadline": "2000-01-01"}
    response = client.post("/en/needs/new", data=data)
    assert response.status_code == 400
    assert "Choose a date in the future." in response.get_data(as_text=True)
    data["deadline"] = (utcnow() + timedelta(days=20)).date().isoformat()
    assert client.post("/en/needs/new", data=data).status_code == 302
    with app.app_context():
        listing = db.session.scalar(db.select(Listing))
        assert listing.kind == "need" and listing.status == "draft"
        assert listing.price_max == 500050 and listing.deadline is not None


def test_other_organisations_cannot_edit_or_see_drafts(app, client, make_user, login_as):
    owner, other = make_user(kind="startup"), make_user(kind="startup")
    published = _create(app, owner)
    draft = _create(app, owner, publish=False)
    login_as(other)
    assert client.get(f"/ko/listings/{published}/edit").status_code == 403
    assert client.post(f"/ko/listings/{published}/edit", data=OFFERING_FORM).status_code == 403
    assert client.post(f"/ko/listings/{published}/close",
                       data={"reason": "withdrawn"}).status_code == 403
    assert client.get(f"/ko/offerings/{draft}").status_code == 404
    assert client.get(f"/ko/listings/{draft}/edit").status_code == 404
    assert client.post(f"/ko/listings/{draft}/publish").status_code == 404
    assert _get(app, published).status == "published"
    assert _get(app, draft).status == "draft"
    client.post("/ko/logout")
    assert client.get(f"/ko/offerings/{draft}").status_code == 404


def test_edit_and_lifecycle_buttons(app, client, make_user, login_as):
    owner = make_user(kind="startup")
    listing_id = _create(app, owner, publish=False)
    login_as(owner)
    page = client.get(f"/ko/listings/{listing_id}/edit")
    assert page.status_code == 200 and "배터리관리시스템" in page.get_data(as_text=True)
    response = client.post(f"/ko/listings/{listing_id}/edit",
                           data={**OFFERING_FORM, "title_ko": "새 제목", "action": "save"})
    assert response.status_code == 302
    listing = _get(app, listing_id)
    assert listing.title_ko == "새 제목" and listing.version == 2
    assert client.get(f"/ko/listings/{listing_id}/versions").status_code == 200
    client.post(f"/ko/listings/{listing_id}/publish")
    assert _get(app, listing_id).status == "published"
    client.post(f"/ko/listings/{listing_id}/close", data={"reason": "withdrawn"})
    assert _get(app, listing_id).status == "closed"
    response = client.post(f"/ko/listings/{listing_id}/close", data={"reason": "withdrawn"})
    assert response.status_code == 302  # refused, explained on the page
    assert "공개된 게시물만" in client.get(response.location).get_data(as_text=True)
    client.post(f"/ko/listings/{listing_id}/archive")
    assert _get(app, listing_id).status == "archived"
    mine = client.get("/ko/my/listings").get_data(as_text=True)
    assert 'id="count-archived"' in mine


def test_my_listings_counts(app, client, make_user, login_as):
    owner = make_user(kind="firm")
    _create(app, owner)
    _create(app, owner, publish=False)
    login_as(owner)
    html = client.get("/en/my/listings").get_data(as_text=True)
    assert 'Draft <span class="badge text-bg-light">1</span>' in html
    assert 'Published <span class="badge text-bg-light">1</span>' in html
    assert client.get("/en/my/listings?status=draft").status_code == 200


def _upload(client, listing_id, name, data, confidential=False):
    form = {"file": (io.BytesIO(data), name)}
    if confidential:
        form["confidential"] = "y"
    return client.post(f"/ko/listings/{listing_id}/attachments", data=form,
                       content_type="multipart/form-data")


def test_uploads_are_checked_by_content(app, client, make_user, login_as):
    owner = make_user(kind="startup")
    listing_id = _create(app, owner)
    login_as(owner)
    for name, data in (("plan.pdf", PNG), ("photo.png", EXE), ("setup.exe", EXE),
                       ("photo.png", PDF), ("empty.pdf", b"")):
        _upload(client, listing_id, name, data)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Attachment)) == 0
    previous = app.config["LISTING_ATTACHMENT_MAX_BYTES"]
    app.config["LISTING_ATTACHMENT_MAX_BYTES"] = 1000
    try:
        response = _upload(client, listing_id, "big.pdf", PDF + b"0" * 2000)
        assert "MB" in client.get(response.location).get_data(as_text=True)
    finally:
        app.config["LISTING_ATTACHMENT_MAX_BYTES"] = previous
    for name, data in (("plan.pdf", PDF), ("photo.PNG", PNG), ("shot.jpg", JPEG)):
        assert _upload(client, listing_id, name, data).status_code == 302
    _upload(client, listing_id, "secret.pdf", PDF, confidential=True)
    with app.app_context():
        items = db.session.scalars(db.select(Attachment).order_by(Attachment.id)).all()
        assert [a.file_type for a in items] == ["pdf", "png", "jpeg", "pdf"]
        public_id, secret_id = items[0].id, items[3].id
    with client.get(f"/ko/attachments/{public_id}") as response:
        assert response.status_code == 200 and response.data == PDF
        assert response.mimetype == "application/pdf"
    with client.get(f"/ko/attachments/{secret_id}") as response:
        assert response.status_code == 200
    client.post("/ko/logout")
    with client.get(f"/ko/attachments/{public_id}") as response:
        assert response.status_code == 200
    assert client.get(f"/ko/attachments/{secret_id}").status_code == 404
    html = client.get(f"/ko/offerings/{listing_id}").get_data(as_text=True)
    assert "plan.pdf" in html and "secret.pdf" not in html


def test_attachments_of_drafts_are_private(app, client, make_user, login_as):
    owner, other = make_user(kind="startup"), make_user(kind="firm")
    listing_id = _create(app, owner, publish=False)
    login_as(owner)
    _upload(client, listing_id, "plan.pdf", PDF)
    with app.app_context():
        attachment_id = db.session.scalar(db.select(Attachment.id))
    client.post("/ko/logout")
    login_as(other)
    assert client.get(f"/ko/attachments/{attachment_id}").status_code == 404
    assert client.post(f"/ko/attachments/{attachment_id}/delete").status_code == 404
    assert _upload(client, listing_id, "x.pdf", PDF).status_code == 404


def test_staff_hide_and_unhide(app, client, make_user, login_as):
    owner, staff = make_user(kind="startup"), make_user(kind="agency", role="staff")
    listing_id = _create(app, owner)
    login_as(owner)
    assert client.post(f"/ko/listings/{listing_id}/hide",
                       data={"reason": "x"}).status_code == 404
    client.post("/ko/logout")
    login_as(staff)
    client.post(f"/ko/listings/{listing_id}/hide", data={"reason": "연락처 노출"})
    assert _get(app, listing_id).is_hidden
    with app.app_context():
        assert db.session.scalar(db.select(OutboxMessage.recipient)) == owner.email
    client.post("/ko/logout")
    assert client.get(f"/ko/offerings/{listing_id}").status_code == 404
    assert "배터리관리시스템" not in client.get("/ko/offerings").get_data(as_text=True)
    login_as(staff)
    client.post(f"/ko/listings/{listing_id}/unhide")
    assert not _get(app, listing_id).is_hidden


def test_challenge_journey(app, client, make_user, login_as):
    firm, startup, rival = (make_user(kind="firm"), make_user(kind="startup"),
                            make_user(kind="startup"))
    need_id = _create(app, firm)
    offering_id = _create(app, startup)
    login_as(firm)
    deadline = (utcnow() + timedelta(days=10)).date().isoformat()
    bad = client.post(f"/ko/needs/{need_id}/challenge", data={"deadline": deadline,
                                                               "winners": "1"})
    assert bad.status_code == 400
    response = client.post(f"/ko/needs/{need_id}/challenge", data={
        "deadline": deadline, "criteria": "기술 성숙도와 비용", "winners": "2"})
    assert response.status_code == 302
    assert need_id in [n.id for n in _open_challenges(app)]
    client.post("/ko/logout")

    login_as(startup)
    page = client.get(f"/ko/needs/{need_id}").get_data(as_text=True)
    assert "제안서 제출" in page
    with app.app_context():
        from marketplace.listings.challenges import Challenge

        challenge_id = db.session.scalar(db.select(Challenge.id))
    short = client.post(f"/ko/challenges/{challenge_id}/submit",
                        data={"offering_id": str(offering_id), "pitch": "짧음"})
    assert short.status_code == 400
    response = client.post(f"/ko/challenges/{challenge_id}/submit", data={
        "offering_id": str(offering_id), "pitch": "저희 진단 기술로 미세먼지 설비를 관리합니다.",
        "file": (io.BytesIO(PDF), "proposal.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    again = client.post(f"/ko/challenges/{challenge_id}/submit", data={
        "offering_id": str(offering_id), "pitch": "저희 진단 기술로 미세먼지 설비를 관리합니다."})
    assert again.status_code == 400
    assert client.get(f"/ko/challenges/{challenge_id}/submissions").status_code == 404
    client.post("/ko/logout")

    login_as(rival)
    assert client.get(f"/ko/challenges/{challenge_id}/submissions").status_code == 404
    client.post("/ko/logout")

    login_as(firm)
    html = client.get(f"/ko/challenges/{challenge_id}/submissions").get_data(as_text=True)
    assert "proposal.pdf" in html
    with app.app_context():
        from marketplace.listings.challenges import Submission

        submission_id = db.session.scalar(db.select(Submission.id))
    client.post(f"/ko/submissions/{submission_id}/decline", data={"reason": "other"})
    with app.app_context():
        assert db.session.get(Submission, submission_id).status == "submitted"
    client.post(f"/ko/submissions/{submission_id}/decline",
                data={"reason": "too_early_trl", "text": "양산 실적이 필요합니다"})
    client.post("/ko/logout")

    login_as(startup)
    mine = client.get("/ko/my/listings").get_data(as_text=True)
    assert "양산 실적이 필요합니다" in mine and "기술 성숙도" in mine
    assert client.post(f"/ko/submissions/{submission_id}/shortlist").status_code == 404


def _open_challenges(app):
    from marketplace.listings.search import search_listings

    with app.test_request_context():
        items, _ = search_listings("need", {"challenge": "1"})
        return items


def test_no_submissions_after_the_deadline(app, ctx, make_user):
    from marketplace.errors import DomainError
    from marketplace.listings import challenges
    from marketplace.listings.challenges import Challenge

    from .helpers import user

    firm, startup = make_user(kind="firm"), make_user(kind="startup")
    need_id, offering_id = make_listing(firm), make_listing(startup)
    need = db.session.get(Listing, need_id)
    challenge = challenges.open_challenge(need, user(firm.id), {
        "deadline": utcnow() + timedelta(days=1), "criteria": "비용", "winners": 1})
    db.session.commit()
    db.session.execute(db.update(Challenge).values(deadline=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    db.session.refresh(challenge)
    with pytest.raises(DomainError):
        challenges.submit_proposal(challenge, user(startup.id), {
            "offering_id": offering_id, "pitch": "마감 이후에 보내는 제안서입니다."})


def test_a_listing_page_shows_each_change_at_once(app, client, make_user):
    """The page's header, texts and facts are kept rendered between requests; every change
    they show must still appear on the next view."""
    owner = make_user(kind="startup")
    listing_id = _create(app, owner, title_ko="배터리관리시스템 진단", currency="KRW",
                         price_min=50_000_000, price_max=None)
    page = f"/en/offerings/{listing_id}"
    first = client.get(page).get_data(as_text=True)
    assert "배터리관리시스템 진단" in first and "Verified" in first
    with app.test_request_context():
        services.update_listing(db.session.get(Listing, listing_id), user(owner.id), {
            "title_en": "Battery diagnostics", "summary_en": "Finds weak cells.",
            "description_en": "Reads cell data."})
        db.session.commit()
    shown = client.get(page).get_data(as_text=True)
    assert "Battery diagnostics" in shown and "Reads cell data." in shown
    with app.app_context():
        org = db.session.get(Organisation, owner.organisation_id)
        org.name_en, org.verification = "Cell Labs", Verification.pending
        db.session.commit()
    shown = client.get(page).get_data(as_text=True)
    assert "Cell Labs" in shown and ">Verified<" not in shown
    before = app.config["USD_KRW_RATE"]
    app.config["USD_KRW_RATE"] = "1000"
    kept_pages(app).clear()  # a new rate comes with a restart, which keeps no pages
    try:
        assert "US$50,000" in client.get(page).get_data(as_text=True)
    finally:
        app.config["USD_KRW_RATE"] = before
