"""Payment requests come from the signed Terms version; the ledger is append-only."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace import jobs
from marketplace.deals.models import SYSTEM, Deal, DealState
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments import ledger, plan, requesting
from marketplace.payments.models import EntryKind, LedgerEntry, PaymentRequest, Purpose
from tests.deals.conftest import LICENSE, load

from .conftest import sign_deal

TRANSFER = {"currency": "USD", "price": 1_500_000,
            "payment_schedule": [{"amount": 500_000, "due": "2030-01-15"},
                                 {"amount": 1_000_000, "due": "2030-06-30"}]}


def test_signing_a_licence_asks_for_its_upfront_fee(ctx, parties):
    deal_id = sign_deal(parties)
    deal = db.session.get(Deal, deal_id)
    assert deal.state == DealState.payment_pending
    [req] = ledger.requests_of(deal_id)
    assert (req.amount, req.currency, req.purpose, req.seq, req.count) == (
        50_000_000, "KRW", Purpose.upfront_fee, 1, 1)
    assert req.terms_version == 1 and req.due_date == plan.local_today()
    assert req.payer_org_id == deal.buyer_org_id and req.payee_org_id == deal.seller_org_id
    assert req.fee_amount == 0
    kinds = [e.kind for e in ledger.ledger_of(deal_id)]
    assert kinds == [EntryKind.requested]
    event = deal.events[-1]
    assert event.kind == "request_payment" and event.to_state == "payment_pending"
    assert event.payload["requests"] == [{"id": req.id, "amount": 50_000_000,
                                          "due": req.due_date.isoformat()}]


def test_a_schedule_becomes_one_request_per_instalment(ctx, parties):
    deal_id = sign_deal(parties, TRANSFER, deal_type="transfer")
    reqs = ledger.requests_of(deal_id)
    assert [(r.seq, r.count, r.amount, r.currency, r.due_date, r.purpose) for r in reqs] == [
        (1, 2, 500_000, "USD", date(2030, 1, 15), Purpose.price),
        (2, 2, 1_000_000, "USD", date(2030, 6, 30), Purpose.price)]


def test_supply_pays_quantity_times_unit_price(ctx, parties):
    deal_id = sign_deal(parties, {"currency": "KRW", "quantity": 12, "unit_price": 350_000,
                                  "delivery": "Incheon, FOB"}, deal_type="supply")
    [req] = ledger.requests_of(deal_id)
    assert (req.amount, req.purpose) == (4_200_000, Purpose.supply)


def test_terms_without_money_leave_the_deal_signed(ctx, parties):
    fields = {"currency": "KRW", "royalty_percent": 3, "field_of_use": "EV",
              "territory": "Korea", "exclusivity": "non_exclusive", "term_months": 12}
    deal_id = sign_deal(parties, fields)
    assert ledger.requests_of(deal_id) == []
    assert db.session.get(Deal, deal_id).state == DealState.signed


def test_platform_fee_is_shown_separately_and_rounded_half_up(ctx, parties, fee):
    fee("2.5")
    deal_id = sign_deal(parties, {**LICENSE, "upfront_fee": 1_234_567})
    [req] = ledger.requests_of(deal_id)
    assert req.amount == 1_234_567  # the payer pays what the Terms say
    assert req.fee_percent == Decimal("2.50")
    assert req.fee_amount == 30_864  # 30,864.175 → 30,864
    assert req.net_amount == 1_234_567 - 30_864
    assert plan.fee_for(1, Decimal("50")) == 1  # 0.5 rounds up


def test_creating_requests_is_idempotent(ctx, parties):
    deal_id = sign_deal(parties)
    deal = db.session.get(Deal, deal_id)
    again = requesting.create_payment_requests(deal, SYSTEM)
    db.session.commit()
    jobs.execute("marketplace.payments.requesting.create_requests_job", [deal_id], {})
    assert [r.id for r in again] == [r.id for r in ledger.requests_of(deal_id)]
    assert db.session.scalar(sa.select(sa.func.count(PaymentRequest.id))) == 1
    assert [e.kind for e in deal.events].count("request_payment") == 1


def test_requests_use_the_signed_version_not_a_number_from_elsewhere(ctx, parties):
    """The seller offered 80M, the buyer countered 50M and the seller accepted: 50M it is."""
    from tests.deals.conftest import negotiating_deal

    deal = negotiating_deal(parties)
    deal.propose_terms(load(parties["seller"]), None, {**LICENSE, "upfront_fee": 80_000_000})
    deal.propose_terms(load(parties["buyer"]), 1, LICENSE)
    deal.accept_terms(load(parties["seller"]), 2)
    deal.start_drafting(load(parties["buyer"]))
    deal.send_for_signature(load(parties["buyer"]))
    deal.mark_signed(SYSTEM)
    db.session.commit()
    jobs.flush()
    [req] = ledger.requests_of(deal.id)
    assert (req.terms_version, req.amount) == (2, 50_000_000)


def test_ledger_rows_cannot_be_changed_or_deleted(ctx, parties):
    deal_id = sign_deal(parties)
    entry = ledger.ledger_of(deal_id)[0]
    entry.amount = 1
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()
    entry = ledger.ledger_of(deal_id)[0]
    db.session.delete(entry)
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()


def test_amounts_must_be_positive_in_the_database(ctx, parties):
    deal_id = sign_deal(parties)
    req = ledger.requests_of(deal_id)[0]
    db.session.add(LedgerEntry(payment_request_id=req.id, deal_id=deal_id,
                               kind=EntryKind.refunded, amount=0, currency="KRW", payload={}))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(DomainError):
        ledger.append(req, EntryKind.refunded, -5)
