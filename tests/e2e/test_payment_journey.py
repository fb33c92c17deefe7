"""A firm pays a signed licence by card: from the deal page to the (stub) Stripe Checkout page in
a real browser, then Stripe's signed webhook completes it and the deal page shows it paid."""

import re
import urllib.request

from playwright.sync_api import expect

from marketplace import jobs
from marketplace.deals import services as deal_services
from marketplace.deals.models import SYSTEM, Deal
from marketplace.extensions import db
from marketplace.payments import ledger
from tests.deals.conftest import LICENSE, load, make_listing
from tests.e2e.test_deal_journey import sign_in
from tests.payments.conftest import stripe_server, stripe_stub  # noqa: F401
from tests.payments.stripe_stub import sign


def signed_licence(app, firm, startup) -> int:
    with app.test_request_context():
        offering = make_listing(startup.organisation_id)
        deal = deal_services.open_deal(load(firm), offering, deal_type="license",
                                       message="라이선스 도입을 검토하고 있습니다.")
        deal.accept_inquiry(load(startup))
        deal.propose_terms(load(startup), None, LICENSE)
        deal.accept_terms(load(firm), 1)
        deal.start_drafting(load(firm))
        deal.send_for_signature(load(firm))
        deal.mark_signed(SYSTEM, {"how": "test"})
        db.session.commit()
        deal_id = deal.id
        jobs.flush()  # the payment requests job runs once the signing committed
        return deal_id


def post_webhook(base: str, payload: str) -> int:
    request = urllib.request.Request(
        f"{base}/payments/stripe/webhook", data=payload.encode(), method="POST",
        headers={"Stripe-Signature": sign(payload), "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def test_firm_pays_a_signed_licence_by_card(app, live_server, page, make_user, stripe_stub):  # noqa: F811
    firm = make_user(kind="firm", lang="ko", name_ko="한빛전자", name_en="Hanbit Electronics")
    startup = make_user(kind="startup", lang="en", name_ko="로보핸즈", name_en="RoboHands")
    deal_id = signed_licence(app, firm, startup)

    sign_in(page, live_server, "ko", firm)
    page.goto(f"{live_server}/ko/deals/{deal_id}")
    expect(page.locator("[data-state]").first).to_have_attribute("data-state", "payment_pending")
    page.locator("#payments-link").click()
    expect(page).to_have_url(re.compile(rf"/ko/payments/deals/{deal_id}$"))
    expect(page.get_by_text("라이선스 선급금 (1/1)")).to_be_visible()

    # To Stripe's hosted page (the stub's): the amount is the signed 50,000,000 won.
    page.get_by_role("button", name="₩50,000,000 카드로 결제").click()
    expect(page).to_have_url(re.compile(re.escape(stripe_stub.url) + r"/checkout/pay/cs_test_"))
    expect(page.locator("#stub-checkout")).to_be_visible()
    expect(page.locator("#amount")).to_have_attribute("data-amount", "50000000")
    expect(page.locator("#locale")).to_have_text("ko")
    session_id = page.url.rsplit("/", 1)[1]

    # Stripe takes the payment and tells the platform by a signed webhook.
    session = stripe_stub.complete(session_id)
    assert post_webhook(live_server, stripe_stub.event("checkout.session.completed", session)) \
        == 200

    page.goto(f"{live_server}/ko/deals/{deal_id}")
    expect(page.locator("[data-state]").first).to_have_attribute("data-state", "paid")
    page.locator("#payments-link").click()
    expect(page.locator("[data-status-label]")).to_have_text("결제 완료")
    expect(page.locator("[data-receipt]")).to_be_visible()
    with app.app_context():
        assert ledger.balances(deal_id)[0].settled
        assert db.session.get(Deal, deal_id).state.value == "paid"
