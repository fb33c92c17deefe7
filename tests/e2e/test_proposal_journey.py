"""A startup on the English site proposes its offering for a Korean firm's need; the firm, on the
Korean site, sees the notice, opens the proposal, shortlists and accepts it."""

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from marketplace.clock import utcnow
from marketplace.deals.models import Deal
from marketplace.deals.states import DealState, Side
from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingKind, ListingStatus
from marketplace.mail.models import OutboxMessage

from .test_deal_journey import published_offering, sign_in


def korean_need(app, firm) -> int:
    with app.app_context():
        listing = Listing(kind=ListingKind.need, status=ListingStatus.published,
                          organisation_id=firm.organisation_id, title_ko="도장 불량 자동 검사",
                          summary_ko="차체 도장 라인의 불량을 자동으로 찾고 싶습니다.",
                          description_ko="설명", sector="robotics", min_trl=5,
                          deal_types=["license", "poc"], published_at=utcnow())
        db.session.add(listing)
        db.session.commit()
        return listing.id


def mail_to(app, user) -> list[OutboxMessage]:
    with app.app_context():
        return list(db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.recipient == user.email).order_by(OutboxMessage.id)))


def test_a_startup_proposes_and_the_firm_shortlists_and_accepts(app, live_server, browser,
                                                                 make_user):
    firm = make_user(kind="firm", lang="ko", name_ko="한빛자동차", name_en="Hanbit Motors")
    startup = make_user(kind="startup", lang="en", name_ko="로보핸즈", name_en="RoboHands")
    offering_id = published_offering(app, startup)
    need_id = korean_need(app, firm)

    buyer = browser.new_context(locale="ko-KR").new_page()
    seller = browser.new_context(locale="en-US").new_page()
    for page in (buyer, seller):
        page.set_default_timeout(30_000)
    sign_in(buyer, live_server, "ko", firm)
    sign_in(seller, live_server, "en", startup)
    expect(buyer.locator("[data-unread-badge]")).to_have_count(0)

    # The startup, on the English site, proposes its offering on the Korean need.
    seller.goto(f"{live_server}/en/needs/{need_id}")
    section = seller.locator("#proposals")
    expect(section.get_by_role("heading", name="Propose our technology")).to_be_visible()
    section.locator("[name=offering_id]").select_option(str(offering_id))
    section.locator("[name=deal_type]").select_option("poc")
    section.locator("[name=message]").fill("We can run a four-week PoC on your paint line.")
    section.get_by_role("button", name="Send the proposal").click()
    expect(seller).to_have_url(re.compile(r"/en/deals/\d+"))
    expect(seller.get_by_text("Your proposal has been sent.")).to_be_visible()
    deal_id = int(re.search(r"/deals/(\d+)", seller.url).group(1))

    # The firm, on the Korean site, sees the badge, the step on its desk and the notice.
    buyer.goto(f"{live_server}/ko/")
    expect(buyer).to_have_url(re.compile(r"/ko/desk/$"))
    expect(buyer.locator("[data-unread-badge]")).to_contain_text("1")
    step = buyer.locator(f"[data-action=answer_inquiry][data-deal='{deal_id}']")
    expect(step).to_be_visible()
    expect(buyer.locator("[data-news] a").first).to_contain_text("로보핸즈")
    # On a phone the menu is folded, and the count shows beside its button.
    expect(buyer.locator("[data-unread-phone]")).to_be_hidden()
    buyer.set_viewport_size({"width": 390, "height": 844})
    expect(buyer.locator("[data-unread-phone]")).to_be_visible()
    expect(buyer.locator("[data-unread-phone]")).to_contain_text("1")
    expect(buyer.locator("[data-unread-badge]")).to_be_hidden()
    buyer.set_viewport_size({"width": 1280, "height": 800})
    buyer.locator("#nav-notifications").click()
    notice = buyer.locator("[data-kind=proposal_received] a")
    expect(notice).to_have_text("로보핸즈에서 귀사의 수요 “도장 불량 자동 검사”에 "
                                "“협동로봇 비전 검사” 기술을 제안했습니다.")
    notice.click()
    expect(buyer).to_have_url(re.compile(rf"/ko/deals/{deal_id}$"))
    expect(buyer.locator("[data-unread-badge]")).to_have_count(0)

    # The need page lists it; the firm shortlists it there, then accepts it on the deal page.
    buyer.goto(f"{live_server}/ko/needs/{need_id}")
    row = buyer.locator(f"[data-proposal='{deal_id}']")
    expect(row).to_contain_text("로보핸즈")
    expect(row).to_contain_text("협동로봇 비전 검사")
    row.get_by_role("button", name="후보로 선정").click()
    expect(buyer.get_by_text("제안을 후보로 선정했습니다.")).to_be_visible()
    expect(buyer.locator(f"[data-proposal='{deal_id}'] [data-shortlisted]")).to_be_visible()
    buyer.locator(f"[data-proposal='{deal_id}'] a").click()
    expect(buyer).to_have_url(re.compile(rf"/ko/deals/{deal_id}$"))
    buyer.get_by_role("button", name="문의 수락").click()
    expect(buyer.get_by_text("문의를 수락했습니다.")).to_be_visible()

    # The startup sees the deal move on, in English.
    seller.goto(f"{live_server}/en/deals/{deal_id}")
    expect(seller.locator("[data-state]").first).to_have_text("Negotiating")
    expect(seller.locator("[data-kind=shortlist]")).to_contain_text("Shortlisted the proposal")
    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert (deal.state, deal.initiator_side, deal.need_id) == (
            DealState.negotiating, Side.seller, need_id)
        assert deal.shortlisted_at is not None

    # Both sides were e-mailed, each in their own language.
    to_firm = [m.subject for m in mail_to(app, firm)]
    assert any("제안했습니다" in s for s in to_firm), to_firm
    to_startup = [m.subject for m in mail_to(app, startup)]
    assert any("Shortlisted the proposal" in s for s in to_startup), to_startup
    assert any("Accepted the inquiry" in s for s in to_startup), to_startup
