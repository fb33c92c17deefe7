"""Terms: per-type validation with translated field messages, immutable numbered versions,
stale answers refused as conflicts (also when two requests race)."""

import threading
import time

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from marketplace.accounts.models import User
from marketplace.deals.models import Deal
from marketplace.deals.states import DealState
from marketplace.deals.terms import DealTerms, validate_terms
from marketplace.errors import Conflict, DomainError
from marketplace.extensions import db

from .conftest import LICENSE, load, negotiating_deal

VALID = {
    "license": LICENSE,
    "transfer": {"currency": "USD", "price": 1_500_000, "payment_schedule": [
        {"amount": 500_000, "due": "2026-12-31"}, {"amount": 1_000_000, "due": "2027-06-30"}]},
    "joint_development": {"currency": "KRW", "scope": {"ko": "셀 모델", "en": "Cell model"},
                          "cost_share_percent": 60, "results_owner": "joint"},
    "poc": {"currency": "KRW", "scope": {"ko": "시범 라인", "en": "Pilot line"},
            "duration_days": 90, "fee": 0,
            "success_criteria": {"ko": "오차 3% 미만", "en": "Error < 3%"}},
    "supply": {"currency": "KRW", "quantity": 100, "unit_price": 250_000,
               "delivery": {"ko": "인천, 2주", "en": "Incheon, 2 weeks"}},
    "investment": {"currency": "KRW", "amount": 1_000_000_000, "instrument": "rcps",
                   "pre_money_valuation": 9_000_000_000, "stake_percent": 10,
                   "conditions": {"ko": "이사회 참석권", "en": "Board seat"}},
    "acquisition": {"currency": "USD", "amount": 10**11, "instrument": "common",
                    "stake_percent": 100},
}


@pytest.mark.parametrize("deal_type", sorted(VALID))
def test_valid_terms_per_type(ctx, deal_type):
    assert validate_terms(deal_type, VALID[deal_type]) == VALID[deal_type]


@pytest.mark.parametrize(("deal_type", "change", "field"), [
    ("license", {"territory": None}, "territory"),
    ("license", {"exclusivity": "sometimes"}, "exclusivity"),
    ("license", {"royalty_percent": "3.555"}, "royalty_percent"),
    ("license", {"upfront_fee": 10.5}, "upfront_fee"),
    ("license", {"upfront_fee": None, "royalty_percent": None}, "upfront_fee"),
    ("license", {"price": 5}, "price"),
    ("transfer", {"price": 0}, "price"),
    ("transfer", {"price": 2_000_000}, "payment_schedule"),
    ("transfer", {"payment_schedule": [{"amount": 1, "due": "soon"}]}, "payment_schedule"),
    ("investment", {"instrument": "tokens"}, "instrument"),
    ("investment", {"stake_percent": 120}, "stake_percent"),
    ("license", {"royalty_percent": "9" * 40}, "royalty_percent"),  # too long to round
    ("license", {"royalty_percent": "1e309"}, "royalty_percent"),
    ("supply", {"quantity": True}, "quantity"),
    ("poc", {"currency": "BTC"}, "currency"),
])
def test_invalid_terms_name_the_field(ctx, deal_type, change, field):
    data = {**VALID[deal_type], **change}
    with pytest.raises(DomainError) as exc:
        validate_terms(deal_type, {k: v for k, v in data.items() if v is not None})
    assert field in exc.value.fields


def test_field_messages_are_translated(ctx):
    with pytest.raises(DomainError) as exc:
        validate_terms("license", {"currency": "KRW", "upfront_fee": 1})
    with force_locale("ko"):
        assert str(exc.value.fields["territory"][0]) == "필수 항목입니다."
    with force_locale("en"):
        assert str(exc.value.fields["territory"][0]) == "This field is required."


def test_versions_are_numbered_and_immutable(ctx, parties):
    p = parties
    deal = negotiating_deal(p)
    buyer, seller = load(p["buyer"]), load(p["seller"])
    deal.propose_terms(buyer, None, LICENSE)
    deal.propose_terms(seller, 1, {**LICENSE, "term_months": 48})
    db.session.commit()
    versions = db.session.scalars(sa.select(DealTerms).order_by(DealTerms.version)).all()
    assert [(v.version, v.based_on_version, v.author_side.value) for v in versions] == [
        (1, None, "buyer"), (2, 1, "seller")]
    versions[0].fields = {"currency": "KRW"}
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(sa.exc.IntegrityError):  # the database refuses a second version 2
        db.session.add(DealTerms(deal_id=deal.id, version=2, author_side="buyer",
                                 author_org_id=buyer.organisation_id, author_user_id=buyer.id,
                                 currency="KRW", fields=LICENSE))
        db.session.flush()
    db.session.rollback()


def test_stale_answers_are_conflicts(ctx, parties):
    p = parties
    deal = negotiating_deal(p)
    buyer, seller = load(p["buyer"]), load(p["seller"])
    deal.propose_terms(buyer, None, LICENSE)
    deal.propose_terms(seller, 1, {**LICENSE, "term_months": 48})
    with pytest.raises(Conflict):
        deal.propose_terms(buyer, 1, LICENSE)  # countering an old version
    with pytest.raises(Conflict):
        deal.accept_terms(buyer, 1)  # accepting an old version
    with pytest.raises(Conflict):
        deal.accept_terms(seller, 2)  # accepting one's own offer
    deal.reject_terms(buyer, 2, "too long")
    assert deal.state == DealState.negotiating and deal.rejected_version == 2
    deal.accept_terms(buyer, 2)  # changed their mind: still the current version
    assert deal.state == DealState.agreed
    with pytest.raises(Conflict):
        deal.propose_terms(seller, 2, LICENSE)  # no more offers once agreed


def test_stale_accept_on_the_page_is_a_clear_409(app, client, parties, login_as):
    p = parties
    with app.test_request_context():
        deal = negotiating_deal(p)
        deal.propose_terms(load(p["buyer"]), None, LICENSE)
        deal.propose_terms(load(p["buyer"]), 1, {**LICENSE, "term_months": 12})
        db.session.commit()
        deal_id = deal.id
    login_as(p["seller"], lang="en")
    response = client.post(f"/en/deals/{deal_id}/terms/1/accept")
    assert response.status_code == 409
    assert "the latest version is now 2" in response.get_data(as_text=True)
    response = client.post(f"/en/deals/{deal_id}/terms/new", data={
        "based_on_version": "1", "currency": "KRW", "upfront_fee": "1", "field_of_use_ko": "x",
        "territory_ko": "y", "exclusivity": "exclusive", "term_months": "1"})
    assert response.status_code == 409
    assert "the latest version is now 2" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Deal, deal_id).current_version == 2


def _race(app, deal_id, jobs_by_user):
    """Run each `fn(deal, user)` in its own thread, app context and database connection,
    all having read the deal before any of them writes."""
    barrier = threading.Barrier(len(jobs_by_user))
    results = {}

    def run(key, user_id, fn):
        with app.test_request_context():
            try:
                deal = db.session.get(Deal, deal_id)
                user = db.session.get(User, user_id)
                assert deal.current_version == 1
                barrier.wait(timeout=10)
                fn(deal, user)
                time.sleep(0.3)  # keep the transaction open while the other one tries
                db.session.commit()
                results[key] = "ok"
            except Conflict:
                db.session.rollback()
                results[key] = "conflict"
            except Exception as exc:  # pragma: no cover - shown in the assertion below
                db.session.rollback()
                results[key] = repr(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(key, user_id, fn))
               for key, (user_id, fn) in jobs_by_user.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _negotiating_with_v1(app, p):
    with app.test_request_context():
        deal = negotiating_deal(p)
        deal.propose_terms(load(p["buyer"]), None, LICENSE)
        db.session.commit()
        return deal.id


def test_two_counter_offers_racing_one_wins(app, parties):
    p = parties
    deal_id = _negotiating_with_v1(app, p)
    results = _race(app, deal_id, {
        "seller": (p["seller"].id, lambda d, u: d.propose_terms(
            u, 1, {**LICENSE, "term_months": 24})),
        "buyer": (p["buyer"].id, lambda d, u: d.propose_terms(
            u, 1, {**LICENSE, "term_months": 60})),
    })
    assert sorted(results.values()) == ["conflict", "ok"], results
    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert deal.current_version == 2
        assert db.session.scalar(sa.select(sa.func.count(DealTerms.id)).where(
            DealTerms.deal_id == deal_id)) == 2


def test_acceptance_racing_a_counter_offer_never_loses_it(app, parties):
    p = parties
    deal_id = _negotiating_with_v1(app, p)
    results = _race(app, deal_id, {
        "accept": (p["seller"].id, lambda d, u: d.accept_terms(u, 1)),
        "revise": (p["buyer"].id, lambda d, u: d.propose_terms(
            u, 1, {**LICENSE, "upfront_fee": 1})),
    })
    assert sorted(results.values()) == ["conflict", "ok"], results
    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        if results["accept"] == "ok":  # agreed on version 1, and no version 2 slipped in
            assert (deal.state, deal.current_version) == (DealState.agreed, 1)
        else:  # version 2 stands and nobody agreed to version 1
            assert (deal.state, deal.current_version) == (DealState.negotiating, 2)
            assert deal.seller_accepted_version is None


def _vat_choice(html: str) -> str | None:
    import re

    select = re.search(r'<select[^>]*name="vat".*?</select>', html, re.S).group(0)
    chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"'
                       r'[^>]*selected', select)
    return chosen and (chosen.group(1) or chosen.group(2))


def test_a_first_offer_starts_from_the_vat_of_the_buyers_country(app, client, parties, login_as):
    from marketplace.accounts.models import Organisation

    p = parties
    with app.app_context():
        deal = negotiating_deal(p)
        db.session.commit()
        deal_id = deal.id
    login_as(p["buyer"])
    for country, vat in (("KR", "standard"), ("US", "zero_rated")):
        with app.app_context():
            db.session.get(Organisation, p["buyer"].organisation_id).country = country
            db.session.commit()
        page = client.get(f"/ko/deals/{deal_id}/terms/new").get_data(as_text=True)
        assert _vat_choice(page) == vat, country
