"""Terms whose amounts could never be paid (a supply total, a schedule adding up to more than a
payment can hold) are refused when they are proposed, with a field error, in the page and the
API; what the terms let through, the payment requests can store."""

from datetime import date

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from marketplace.deals.models import Deal
from marketplace.deals.terms import MAX_MONEY, AmountOutOfRange, DealTerms, validate_terms
from marketplace.extensions import db
from marketplace.payments.plan import fee_for, plan
from tests.api.conftest import tokens  # noqa: F401 (the fixture)
from tests.conftest import login

from .conftest import LICENSE, load, open_deal

HUGE_SUPPLY = {"currency": "KRW", "quantity": 10**9, "unit_price": 10**15,
               "delivery": "Incheon, 2 weeks"}


def test_a_supply_total_beyond_what_a_payment_holds_is_a_field_error(ctx):
    with pytest.raises(AmountOutOfRange) as caught:
        validate_terms("supply", HUGE_SUPPLY)
    assert caught.value.status == 422
    assert set(caught.value.fields) == {"quantity", "unit_price"}
    with force_locale("ko"):
        assert "수량과 단가를 곱한 금액" in str(caught.value.fields["unit_price"][0])
    with force_locale("en"):
        assert "Quantity × unit price comes to more than" in str(
            caught.value.fields["quantity"][0])


def test_the_largest_accepted_total_is_one_payments_can_store(ctx):
    terms = validate_terms("supply", {**HUGE_SUPPLY, "quantity": 1000,
                                      "unit_price": MAX_MONEY // 1000})
    [payment] = plan("supply", terms, date(2026, 12, 1))
    assert payment["amount"] == MAX_MONEY < 2**63 - 1
    assert fee_for(payment["amount"], 99) < payment["amount"]
    with pytest.raises(AmountOutOfRange):
        validate_terms("supply", {**terms, "unit_price": MAX_MONEY // 1000 + 1})


def test_a_schedule_adding_up_to_too_much_is_a_field_error(ctx):
    schedule = [{"amount": MAX_MONEY, "due": f"2027-{month:02d}-01"} for month in (1, 2)]
    with pytest.raises(AmountOutOfRange) as caught:
        validate_terms("license", {**LICENSE, "payment_schedule": schedule})
    assert list(caught.value.fields) == ["payment_schedule"]


def test_a_single_amount_too_large_is_out_of_range_and_other_mistakes_stay_400(ctx):
    with pytest.raises(AmountOutOfRange) as caught:
        validate_terms("license", {**LICENSE, "upfront_fee": MAX_MONEY + 1})
    assert list(caught.value.fields) == ["upfront_fee"]
    with pytest.raises(Exception) as caught:
        validate_terms("license", {**LICENSE, "upfront_fee": MAX_MONEY + 1, "territory": ""})
    assert caught.value.status == 400 and not isinstance(caught.value, AmountOutOfRange)


def _supply_deal(app, p) -> int:
    with app.test_request_context():
        deal = open_deal(p, deal_type="supply")
        deal.accept_inquiry(load(p["seller"]))
        db.session.commit()
        return deal.id


def _nothing_written(app, deal_id):
    with app.app_context():
        assert db.session.get(Deal, deal_id).current_version == 0
        assert db.session.scalar(sa.select(sa.func.count(DealTerms.id))) == 0


def test_the_api_answers_422_with_the_fields(app, client, parties, tokens):  # noqa: F811
    deal_id = _supply_deal(app, parties)
    response = client.post(f"/api/v1/deals/{deal_id}/terms",
                           headers={**tokens["buyer"], "Accept-Language": "ko"},
                           json={"based_on_version": None, "terms": HUGE_SUPPLY})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "out_of_range" and error["message"]
    assert set(error["fields"]) == {"quantity", "unit_price"}
    assert "최대 금액" in error["fields"]["unit_price"][0]
    _nothing_written(app, deal_id)


def test_the_page_shows_the_field_error(app, client, parties):
    p = parties
    deal_id = _supply_deal(app, p)
    login(client, p["buyer"], lang="ko")
    response = client.post(f"/ko/deals/{deal_id}/terms/new", data={
        "based_on_version": "0", "currency": "KRW", "quantity": "1000000000",
        "unit_price": "1,000,000,000,000,000", "delivery_ko": "인천, 2주"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "수량과 단가를 곱한 금액이 한 거래에서 요청할 수 있는 최대 금액" in html
    _nothing_written(app, deal_id)
