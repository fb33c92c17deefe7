"""An investor on the English site finds a Korean-only startup's offering by an English word,
asks for an English version and for an introduction; the startup, on the Korean site, accepts;
the investor opens an investment deal from the introduction."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from marketplace.deals.models import Deal
from marketplace.extensions import db
from marketplace.introductions.models import Introduction
from marketplace.listings.models import Listing
from marketplace.listings.search import search_listings
from marketplace.matching import get_model
from marketplace.matching.embedding_store import listing_embeddings
from marketplace.translation_requests.models import TranslationRequest
from tests.listings.helpers import make_listing

from .test_deal_journey import sign_in
from .test_proposal_journey import mail_to

SEARCH_CACHES = ("search_vectors", "search_vocabulary", "search_facets")


@pytest.fixture
def korean_offering(app, make_user, monkeypatch):
    """A Korean-only offering, created, published and indexed as the app does it: its search
    terms on saving and, as matching does for a published listing, its stored embedding.
    Search by meaning is on, with the model loaded in this process (as the web process has
    it)."""
    startup = make_user(kind="startup", lang="ko", name_ko="셀케어랩", name_en="CellCare Lab")
    get_model(app.config["MATCHING_MODEL"])
    monkeypatch.setitem(app.config, "SEARCH_SEMANTIC", True)
    with app.test_request_context():
        listing_id = make_listing(
            startup, title_ko="전기차 배터리 열화 조기 진단", title_en=None, summary_en=None,
            description_en=None, deal_types=["license", "poc", "investment"])
        listing = db.session.get(Listing, listing_id)
        assert listing.languages == ["ko"]
        listing_embeddings([listing])
        db.session.commit()
    for name in SEARCH_CACHES:
        app.extensions.pop(name, None)
    yield startup, listing_id
    for name in SEARCH_CACHES:
        app.extensions.pop(name, None)


def test_an_investor_finds_a_korean_startup_and_opens_an_investment_deal(
        app, live_server, browser, make_user, korean_offering):
    startup, offering_id = korean_offering
    with app.test_request_context():  # no English word in it: keyword search alone misses it
        app.config["SEARCH_SEMANTIC"] = False
        assert search_listings("offering", {"q": "battery"}) == ([], 0)
        app.config["SEARCH_SEMANTIC"] = True
        assert [x.id for x in search_listings("offering", {"q": "battery"})[0]] == [offering_id]
    investor = make_user(kind="investor", lang="en", name_ko="블루하버벤처스",
                         name_en="Blue Harbor Ventures")

    inv = browser.new_context(locale="en-US").new_page()
    su = browser.new_context(locale="ko-KR").new_page()
    for page in (inv, su):
        page.set_default_timeout(30_000)
    sign_in(inv, live_server, "en", investor)
    sign_in(su, live_server, "ko", startup)

    # The investor searches in English and finds the Korean-only offering.
    inv.goto(f"{live_server}/en/offerings?q=battery")
    result = inv.locator(f"main a[href*='/offerings/{offering_id}']").first
    expect(result).to_be_visible()
    result.click()
    expect(inv).to_have_url(re.compile(rf"/en/offerings/{offering_id}"))

    # It is written only in Korean: the investor asks for an English version.
    inv.get_by_role("button", name="Ask for an English version").click()
    expect(inv.get_by_text("Your request is sent. We will tell you when the text is added.")
           ).to_be_visible()
    expect(inv.get_by_text("You asked for an English version on")).to_be_visible()
    with app.app_context():
        asked = db.session.scalars(sa.select(TranslationRequest)).all()
        assert [(r.listing_id, r.lang) for r in asked] == [(offering_id, "en")]

    # From the listing, the startup's page; then the introduction request.
    inv.get_by_role("link", name="CellCare Lab").first.click()
    expect(inv).to_have_url(re.compile(rf"/en/organisations/{startup.organisation_id}$"))
    inv.goto(f"{live_server}/en/introductions/new?startup={startup.organisation_id}")
    inv.locator("[name=note]").fill("We invest in battery analytics and would like to meet.")
    inv.locator("[name=proposed_times]").fill("12 Dec 10:00-12:00 KST, online")
    inv.get_by_role("button", name="Send the request").click()
    expect(inv).to_have_url(re.compile(r"/en/introductions/\d+$"))
    expect(inv.get_by_text("Your request is sent to CellCare Lab.")).to_be_visible()
    intro_id = int(re.search(r"/introductions/(\d+)", inv.url).group(1))

    # The startup, on the Korean site, sees the notice, opens it and accepts.
    su.goto(f"{live_server}/ko/")
    expect(su.locator("[data-unread-badge]")).to_be_visible()
    su.locator("#nav-notifications").click()
    notice = su.locator("[data-kind=introduction_requested] a")
    expect(notice).to_contain_text("블루하버벤처스")
    notice.click()
    expect(su).to_have_url(re.compile(rf"/ko/introductions/{intro_id}$"))
    expect(su.get_by_text("We invest in battery analytics")).to_be_visible()
    su.locator("[name=meeting]").fill("12월 12일 10시, 온라인")
    su.get_by_role("button", name="미팅 수락").click()
    expect(su.locator("[data-state]").first).to_have_attribute("data-state", "accepted")

    # The investor opens an investment deal on the offering from the introduction.
    inv.goto(f"{live_server}/en/introductions/{intro_id}")
    section = inv.locator("#open-investment")
    section.locator("[name=offering_id]").select_option(str(offering_id))
    section.locator("[name=message]").fill("We would like to discuss a seed investment.")
    section.get_by_role("button", name="Open the deal").click()
    expect(inv).to_have_url(re.compile(r"/en/deals/\d+"))
    expect(inv.get_by_text("The investment deal is open.")).to_be_visible()
    deal_id = int(re.search(r"/deals/(\d+)", inv.url).group(1))

    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert str(deal.deal_type) == "investment"
        assert deal.offering_id == offering_id
        assert deal.seller_org_id == startup.organisation_id
        assert deal.buyer_org_id == investor.organisation_id
        assert db.session.get(Introduction, intro_id).deal_id == deal_id

    # Each side was e-mailed in its own language.
    to_startup = [m.subject for m in mail_to(app, startup)]
    to_investor = [m.subject for m in mail_to(app, investor)]
    assert any("“전기차 배터리 열화 조기 진단” 게시물의 영문 버전 요청" in s for s in to_startup), \
        to_startup
    assert any("블루하버벤처스에서 1:1 미팅을 요청했습니다." in s for s in to_startup), to_startup
    assert any("거래를 시작함" in s and "블루하버벤처스" in s for s in to_startup), to_startup
    assert any("CellCare Lab accepted your request for an introduction." in s
               for s in to_investor), to_investor
    assert not any(re.search("[가-힣]", s.split("]", 1)[1]) for s in to_investor), to_investor
