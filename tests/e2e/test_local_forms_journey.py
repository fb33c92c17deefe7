"""In a real Chromium whose own locale is English: a Korean page's date field reads and takes
dates the Korean way, times read 오후 5:30, amounts are typed as Koreans write them; the English
page shows the same date month first and the won amount with its approximate dollars."""

import re
from datetime import UTC, datetime

from playwright.sync_api import expect

from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingVersion
from tests.e2e.test_deal_journey import sign_in
from tests.listings.helpers import make_listing

KOREAN_TIME = re.compile(r"\d{4}\. \d{1,2}\. \d{1,2}\. (오전|오후) \d{1,2}:\d{2}")


def test_korean_page_dates_times_and_amounts(app, live_server, browser, make_user):
    firm = make_user(kind="firm", lang="ko", name_ko="한빛전자", name_en="Hanbit Electronics")
    with app.test_request_context():
        listing_id = make_listing(firm, deadline=datetime(2026, 12, 31, 14, 59, tzinfo=UTC))
        # The first version was saved at 17:30 in Seoul.
        version = db.session.query(ListingVersion).filter_by(listing_id=listing_id).first()
        version.created_at = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
        db.session.commit()

    context = browser.new_context(locale="en-US")  # the browser's own locale is not Korean
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        sign_in(page, live_server, "ko", firm)
        page.goto(f"{live_server}/ko/listings/{listing_id}/edit")
        deadline = page.locator("input[name=deadline]")
        expect(deadline).to_have_attribute("type", "text")
        expect(deadline).to_have_attribute("placeholder", "YYYY. MM. DD.")
        expect(deadline).to_have_value("2026. 12. 31.")

        deadline.fill("2026. 2. 30.")
        page.locator("input[name=price_min]").fill("3천만 원")
        page.locator("main button[name=action][value=save]").click()
        expect(page.get_by_text("날짜를 YYYY. MM. DD. 형식으로 입력해 주세요(예: 2026. 11. 30.)."))\
            .to_be_visible()
        expect(page.locator("input[name=price_min]")).to_have_value("3천만 원")

        page.locator("input[name=deadline]").fill("2027. 1. 15.")
        page.locator("input[name=price_max]").fill("$50,000")
        page.locator("main button[name=action][value=save]").click()
        wrong_currency = "이 칸에는 KRW 금액을 입력해야 하는데, USD 금액이 입력되었습니다."
        expect(page.get_by_text(wrong_currency)).to_be_visible()

        page.locator("input[name=price_max]").fill("1억 2천만원")
        page.locator("main button[name=action][value=save]").click()
        expect(page).to_have_url(re.compile(rf"/ko/needs/{listing_id}$"))
        body = page.locator("main")
        expect(body).to_contain_text("2027년 1월 15일")
        expect(body).to_contain_text("₩30,000,000 – ₩120,000,000")
        expect(body).not_to_contain_text("≈")  # won amounts on a Korean page need no conversion

        page.goto(f"{live_server}/ko/listings/{listing_id}/versions")
        times = page.locator("main td").all_inner_texts()
        assert "2026. 11. 30. 오후 5:30" in times
        assert all(KOREAN_TIME.fullmatch(t) for t in times if re.match(r"\d{4}\.", t))
        expect(page.locator("main")).not_to_contain_text(re.compile(r"\b[AP]M\b"))

        page.goto(f"{live_server}/en/listings/{listing_id}/edit")
        deadline = page.locator("input[name=deadline]")
        expect(deadline).to_have_attribute("placeholder", "MM/DD/YYYY")
        expect(deadline).to_have_value("01/15/2027")
        page.goto(f"{live_server}/en/needs/{listing_id}")
        approx = page.locator(".money-approx").first
        expect(approx).to_contain_text("≈ US$21,400")
        expect(approx).to_have_attribute("title", "Approximate, at ₩1,400 to US$1 on Nov 30, 2026.")
        page.goto(f"{live_server}/en/listings/{listing_id}/versions")
        expect(page.locator("main")).to_contain_text("Nov 30, 2026, 5:30\u202fPM")
    finally:
        context.close()
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        assert (listing.price_min, listing.price_max) == (30_000_000, 120_000_000)
