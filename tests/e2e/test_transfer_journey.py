"""A firm pays a signed licence by bank transfer in a real browser: it sees the startup's
confirmed settlement account and a prefilled reference, and declares the transfer; the startup
confirms it and records its e-tax invoice; the receipt shows VAT; the deal is paid; the assigned
staff member records a refund of half, and the deal is partly refunded."""

import re
import subprocess
from datetime import date

from playwright.sync_api import expect

from marketplace import jobs
from marketplace.accounts.models import Organisation, User
from marketplace.deals import services as deal_services
from marketplace.deals.models import SYSTEM, Deal
from marketplace.extensions import db
from marketplace.payments import settlement
from tests.deals.conftest import LICENSE, load, make_listing
from tests.e2e.test_deal_journey import sign_in

APPROVAL = "20261130-41000000-12345678"


def signed_licence_with_vat(app, firm, startup, staff) -> int:
    with app.test_request_context():
        org = db.session.get(Organisation, startup.organisation_id)
        org.business_registration_no = "1234567891"
        settlement.save(org, db.session.get(User, startup.id), "088", "110-234-567890",
                        "주식회사 로보핸즈")
        settlement.confirm(org.id, db.session.get(User, staff.id))
        offering = make_listing(startup.organisation_id)
        deal = deal_services.open_deal(load(firm), offering, deal_type="license",
                                       message="라이선스 도입을 검토하고 있습니다.")
        deal.accept_inquiry(load(startup))
        deal.propose_terms(load(startup), None, {**LICENSE, "vat": "standard"})
        deal.accept_terms(load(firm), 1)
        deal.start_drafting(load(firm))
        deal.send_for_signature(load(firm))
        deal.mark_signed(SYSTEM, {"how": "test"})
        deal.assigned_staff_id = staff.id
        db.session.commit()
        deal_id = deal.id
        jobs.flush()
        return deal_id


def test_firm_pays_by_transfer_to_the_confirmed_account(app, live_server, browser, make_user,
                                                          tmp_path):
    firm = make_user(kind="firm", lang="ko", name_ko="한빛전자", name_en="Hanbit Electronics")
    startup = make_user(kind="startup", lang="ko", name_ko="로보핸즈", name_en="RoboHands")
    staff = make_user(kind="agency", role="staff")
    deal_id = signed_licence_with_vat(app, firm, startup, staff)

    def new_page(user):
        page = browser.new_context(locale="ko-KR").new_page()
        page.set_default_timeout(30_000)
        sign_in(page, live_server, "ko", user)
        return page

    buyer = new_page(firm)
    buyer.goto(f"{live_server}/ko/payments/deals/{deal_id}")
    pay_to = buyer.locator("[data-pay-to]")
    expect(pay_to).to_be_visible()
    expect(pay_to.locator("[data-bank]")).to_have_text("신한은행")
    expect(pay_to.locator("[data-account-number]")).to_have_text("110234567890")
    expect(pay_to.locator("[data-holder]")).to_have_text("주식회사 로보핸즈")
    expect(pay_to.locator("[data-transfer-amount]")).to_have_attribute(
        "data-transfer-amount", "55000000")
    expect(buyer.locator("[data-supply-value]")).to_have_text("₩50,000,000")
    expect(buyer.locator("[data-vat]")).to_have_text("₩5,000,000")
    expect(buyer.locator("[data-account-changed]")).to_be_visible()   # confirmed today
    reference = buyer.locator("input[name$='-reference']")
    expect(reference).to_have_value(re.compile(rf"^TTO-{deal_id}-\d+$"))
    buyer.locator("input[name$='-value_date']").fill(date.today().isoformat())
    buyer.get_by_role("button", name="송금했습니다").click()
    expect(buyer.locator("[data-status-label]")).to_have_text(re.compile("확인"))

    seller = new_page(startup)
    seller.goto(f"{live_server}/ko/payments/deals/{deal_id}")
    expect(seller.locator("[data-account-number]")).to_have_count(0)    # masked for the payee
    seller.locator("[data-confirm]").click()
    expect(seller.locator("[data-status-label]")).to_have_text("결제 완료")
    seller.locator("[data-nts] summary").click()
    expect(seller.locator("[data-nts-supplier-no]")).to_have_text("123-45-67891")
    seller.locator("input[name$='-approval_no']").fill(APPROVAL)
    seller.locator("input[name$='-issued_on']").fill(date.today().isoformat())
    seller.locator("[data-record-invoice]").click()
    expect(seller.locator("[data-tax-invoice]")).to_be_visible()

    buyer.goto(f"{live_server}/ko/payments/deals/{deal_id}")
    href = buyer.locator("[data-receipt]").first.get_attribute("href")
    response = buyer.request.get(f"{live_server}{href}")  # with the buyer's session cookie
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    path = tmp_path / "receipt.pdf"
    path.write_bytes(response.body())
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    for words in ("공급가액", "₩50,000,000", "부가가치세", "₩5,000,000", "₩55,000,000",
                  APPROVAL):
        assert words in text, words
    buyer.goto(f"{live_server}/ko/deals/{deal_id}")
    expect(buyer.locator("[data-state]").first).to_have_attribute("data-state", "paid")

    desk = new_page(staff)
    desk.goto(f"{live_server}/ko/payments/deals/{deal_id}")
    desk.locator("[data-refund-of] summary").click()
    desk.locator("input[name$='-amount']").fill("27,500,000")
    desk.locator("textarea[name$='-reason']").fill("일부 기능 미제공에 따른 환불")
    desk.locator("[data-refund]").click()
    desk.goto(f"{live_server}/ko/deals/{deal_id}")
    expect(desk.locator("[data-state]").first).to_have_attribute(
        "data-state", "partially_refunded")
    with app.app_context():
        assert db.session.get(Deal, deal_id).state.value == "partially_refunded"
