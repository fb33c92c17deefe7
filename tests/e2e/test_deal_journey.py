"""A firm and a startup negotiate two rounds and agree, each in their own browser and language."""

import re

from playwright.sync_api import expect

from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingKind, ListingStatus
from tests.conftest import TEST_PASSWORD


def sign_in(page, base, lang, user):
    page.goto(f"{base}/{lang}/login")
    page.locator("input[name=email]").fill(user.email)
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").click()
    # staff land on the staff console, members on their desk
    landing = rf"/{lang}/staff/$" if user.is_staff else rf"/{lang}/desk/$"
    expect(page).to_have_url(re.compile(landing))


def published_offering(app, startup) -> int:
    with app.app_context():
        listing = Listing(kind=ListingKind.offering, status=ListingStatus.published,
                          organisation_id=startup.organisation_id, title_ko="협동로봇 비전 검사",
                          title_en="Cobot vision inspection", summary_ko="요약",
                          summary_en="Summary", description_ko="설명", description_en="About",
                          sector="robotics", trl=7, deal_types=["license", "poc"],
                          published_at=utcnow())
        db.session.add(listing)
        db.session.commit()
        return listing.id


def fill_license_terms(page, upfront_fee):
    page.locator("[name=currency]").select_option("KRW")
    page.locator("[name=upfront_fee]").fill(upfront_fee)
    page.locator("[name=royalty_percent]").fill("3")
    page.locator("[name=field_of_use_ko]").fill("자동차 부품 외관 검사")
    page.locator("[name=territory_ko]").fill("대한민국")
    page.locator("[name=exclusivity]").select_option("non_exclusive")
    page.locator("[name=term_months]").fill("24")


def test_firm_and_startup_negotiate_two_rounds_and_agree(app, live_server, browser, make_user):
    firm = make_user(kind="firm", lang="ko", name_ko="한빛전자", name_en="Hanbit Electronics")
    startup = make_user(kind="startup", lang="en", name_ko="로보핸즈", name_en="RoboHands")
    offering_id = published_offering(app, startup)

    buyer = browser.new_context(locale="ko-KR").new_page()
    seller = browser.new_context(locale="en-US").new_page()
    for page in (buyer, seller):
        page.set_default_timeout(30_000)
    sign_in(buyer, live_server, "ko", firm)
    sign_in(seller, live_server, "en", startup)

    # The firm opens an inquiry on the offering.
    buyer.goto(f"{live_server}/ko/deals/new?offering={offering_id}")
    buyer.locator("[name=deal_type]").select_option("license")
    buyer.locator("[name=message]").fill("외관 검사 라인에 라이선스로 도입하고 싶습니다.")
    buyer.locator("main form button[type=submit]").click()
    expect(buyer).to_have_url(re.compile(r"/ko/deals/\d+"))
    deal_url = buyer.url.split("#")[0]
    deal_path = deal_url.split("/ko/", 1)[1]

    # The startup accepts the inquiry and makes the first offer (round 1).
    seller.goto(f"{live_server}/en/{deal_path}")
    seller.get_by_role("button", name="Accept the inquiry").click()
    seller.get_by_role("link", name="Make an offer").click()
    fill_license_terms(seller, "80,000,000")
    seller.get_by_role("button", name="Send this version").click()
    expect(seller.get_by_text("Version 1 of the terms was sent to the other side.")).to_be_visible()

    # The firm counters (round 2) with a lower upfront fee.
    buyer.goto(deal_url)
    buyer.get_by_role("link", name="수정 제안").click()
    buyer.locator("[name=upfront_fee]").fill("60,000,000")
    buyer.locator("main form button[type=submit]").click()
    expect(buyer.locator("[data-version='2']")).to_be_visible()

    # The startup accepts version 2: both sides see the agreement.
    seller.goto(f"{live_server}/en/{deal_path}")
    expect(seller.locator("[data-version='2']")).to_contain_text("₩60,000,000")
    seller.get_by_role("button", name="Accept version 2").click()
    expect(seller.locator("[data-version='2']")).to_contain_text("Agreed by both sides")
    buyer.goto(deal_url)
    expect(buyer.locator("[data-version='2']")).to_contain_text("양측 합의")
