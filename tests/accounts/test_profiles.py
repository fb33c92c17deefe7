"""Organisation profiles: members edit them (a startup also its stage, funding and investor
contact), anyone reads them with the organisation's published listings, logos are checked by
content and resized; the same through the API."""

from io import BytesIO

import sqlalchemy as sa
from PIL import Image

from marketplace.accounts.profiles import OrganisationProfile
from marketplace.api.tokens import create_token
from marketplace.extensions import db
from tests.conftest import login
from tests.listings.helpers import EXE, make_listing, user


def _png(width=600, height=300) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), (20, 90, 160)).save(out, format="PNG")
    return out.getvalue()


def _profile(app, org_id):
    with app.app_context():
        profile = db.session.get(OrganisationProfile, org_id)
        if profile is not None:
            db.session.expunge(profile)
        return profile


def test_a_startup_fills_its_profile_and_everyone_reads_it_with_its_listings(app, client,
                                                                             make_user):
    startup = make_user(kind="startup")
    with app.test_request_context():
        listing_id = make_listing(startup)
        make_listing(startup, publish=False, title_ko="임시 저장 게시물")
    login(client, startup)
    response = client.post(f"/ko/organisations/{startup.organisation_id}/profile", data={
        "description_ko": "전기차 배터리 진단 기술을 개발합니다.",
        "description_en": "We build battery diagnostics for electric vehicles.",
        "website": "https://battery.example.kr", "founded_year": "2019", "employees": "24",
        "stage": "series_a", "funding_currency": "KRW", "funding_raised": "3,000,000,000",
        "funding_sought": "50억 원", "ir_contact_name": "김지원",
        "ir_contact_email": "ir@battery.example.kr",
        "logo": (BytesIO(_png()), "logo.png")}, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    profile = _profile(app, startup.organisation_id)
    assert (profile.stage, profile.funding_raised, profile.funding_sought) == (
        "series_a", 3_000_000_000, 5_000_000_000)
    client.post("/ko/logout")

    page = client.get(f"/en/organisations/{startup.organisation_id}").get_data(as_text=True)
    assert 'lang="en">We build battery diagnostics' in page
    assert "Series A" in page and "₩3,000,000,000" in page and "ir@battery.example.kr" in page
    assert f"/offerings/{listing_id}" in page and "임시 저장 게시물" not in page
    korean = client.get(f"/ko/organisations/{startup.organisation_id}").get_data(as_text=True)
    assert "전기차 배터리 진단 기술을 개발합니다." in korean and "시리즈 A" in korean
    logo = client.get(f"/ko/organisations/{startup.organisation_id}/logo")
    assert logo.status_code == 200 and logo.mimetype == "image/png"
    assert Image.open(BytesIO(logo.data)).size == (256, 128)


def test_refusals_keep_the_profile_as_it_was(app, client, make_user):
    firm = make_user(kind="firm")
    stranger = make_user(kind="startup")
    login(client, stranger)
    assert client.get(f"/ko/organisations/{firm.organisation_id}/profile").status_code == 404
    client.post("/ko/logout")
    login(client, firm)
    url = f"/ko/organisations/{firm.organisation_id}/profile"
    page = client.get(url).get_data(as_text=True)
    assert 'name="stage"' not in page and 'name="funding_raised"' not in page
    bad = client.post(url, data={"website": "battery.example", "founded_year": "1850"})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "https://로 시작하는 전체 주소를 입력하세요." in text
    assert "1900부터" in text
    fake = client.post(url, data={"description_ko": "소개", "logo": (BytesIO(EXE), "logo.png")},
                       content_type="multipart/form-data")
    assert fake.status_code == 400
    assert "로고는 PNG 또는 JPEG 이미지여야" in fake.get_data(as_text=True)
    assert _profile(app, firm.organisation_id) is None  # nothing half-written


def test_the_api_reads_and_patches_the_own_profile_and_shows_public_ones(app, client,
                                                                         make_user):
    startup = make_user(kind="startup")
    firm = make_user(kind="firm")
    with app.test_request_context():
        header = {"Authorization": f"Bearer {create_token(user(startup.id), 't')[1]}"}
        firm_header = {"Authorization": f"Bearer {create_token(user(firm.id), 't')[1]}"}
        db.session.commit()
    patched = client.patch("/api/v1/organisations/me", headers=header, json={
        "description_en": "Drone inspection", "stage": "seed", "funding_currency": "USD",
        "funding_sought": 150_000_000})
    assert patched.status_code == 200, patched.get_json()
    body = patched.get_json()
    assert body["stage"] == "seed" and body["funding_sought"] == 150_000_000
    assert body["kind"] == "startup" and body["logo_url"] is None
    public = client.get(f"/api/v1/organisations/{startup.organisation_id}").get_json()
    assert public["description_en"] == "Drone inspection" and "email" not in public
    assert client.patch("/api/v1/organisations/me", headers=header,
                        json={"funding_raised": 5}).status_code == 200
    assert client.patch("/api/v1/organisations/me", headers=header,
                        json={"stage": "unicorn"}).status_code == 422
    refused = client.patch("/api/v1/organisations/me", headers=firm_header,
                           json={"stage": "seed"})
    assert refused.status_code == 400
    assert "stage" in refused.get_json()["error"]["fields"]
    assert client.patch("/api/v1/organisations/me", json={}).status_code == 401
    assert client.get("/api/v1/organisations/999999").status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(OrganisationProfile.stage).where(
            OrganisationProfile.organisation_id == firm.organisation_id)) is None
