"""Refunds after payment: `charge.refund.updated` (a refund that failed or was cancelled is
undone in the ledger; one not heard of yet is recorded) and no lock held during Stripe calls."""

from marketplace.deals.models import Deal, DealState
from marketplace.extensions import db
from marketplace.payments import ledger
from marketplace.payments.models import EntryKind

from .conftest import sign_deal
from .test_webhooks import kinds, open_checkout, state


def _paid_by_card(client, login_as, parties, stripe_stub, post_event):
    deal_id = sign_deal(parties)
    req, session_id = open_checkout(client, login_as, parties, deal_id)
    completed = stripe_stub.event("checkout.session.completed", stripe_stub.complete(session_id))
    assert post_event(completed).json["outcome"] == "recorded"
    return deal_id, req, session_id


def test_a_refund_that_failed_after_it_was_recorded_is_undone(
        ctx, client, login_as, parties, stripe_stub, post_event):
    deal_id, req, session_id = _paid_by_card(client, login_as, parties, stripe_stub, post_event)
    charge = stripe_stub.charge_of(session_id)
    refund = stripe_stub.refund_outside(charge["id"], 20_000_000)
    assert post_event(stripe_stub.event(
        "charge.refunded", stripe_stub.charge_of(session_id))).json["outcome"] == "recorded"
    assert ledger.balance(req).refunded == 20_000_000

    failed = {**refund, "status": "failed", "failure_reason": "expired_or_canceled_card"}
    response = post_event(stripe_stub.event("charge.refund.updated", failed))
    assert response.status_code == 200 and response.json["outcome"] == "recorded"
    assert kinds(deal_id)[-1] == EntryKind.refund_failed
    undone = ledger.ledger_of(deal_id)[-1]
    assert undone.amount == 20_000_000 and undone.note == "expired_or_canceled_card"
    current = ledger.balance(req)
    assert (current.refunded, current.paid, current.settled) == (0, 50_000_000, True)
    assert current.card_payments[0].refundable == 50_000_000
    again = post_event(stripe_stub.event("charge.refund.updated", failed))
    assert again.json["outcome"] == "duplicate_fact"
    assert kinds(deal_id).count(EntryKind.refund_failed) == 1


def test_a_refund_first_heard_of_in_its_update_is_recorded_and_a_failed_unknown_one_ignored(
        ctx, client, login_as, parties, stripe_stub, post_event):
    deal_id, req, session_id = _paid_by_card(client, login_as, parties, stripe_stub, post_event)
    charge = stripe_stub.charge_of(session_id)
    refund = stripe_stub.refund_outside(charge["id"], 5_000_000)
    response = post_event(stripe_stub.event("charge.refund.updated", refund))
    assert response.json["outcome"] == "recorded"
    assert kinds(deal_id)[-1] == EntryKind.refunded
    assert ledger.balance(req).refunded == 5_000_000
    other = {**refund, "id": "re_never_recorded", "status": "canceled"}
    assert post_event(stripe_stub.event("charge.refund.updated", other)).json["outcome"] \
        == "ignored"


def test_refunds_move_the_paid_deal_to_partially_refunded_and_refunded_and_back(
        ctx, client, login_as, parties, stripe_stub, post_event):
    deal_id, req, session_id = _paid_by_card(client, login_as, parties, stripe_stub, post_event)
    assert state(deal_id) == DealState.paid
    charge = stripe_stub.charge_of(session_id)
    first = stripe_stub.refund_outside(charge["id"], 20_000_000)
    post_event(stripe_stub.event("charge.refunded", stripe_stub.charge_of(session_id)))
    assert state(deal_id) == DealState.partially_refunded
    stripe_stub.refund_outside(charge["id"], 30_000_000)
    post_event(stripe_stub.event("charge.refunded", stripe_stub.charge_of(session_id)))
    assert state(deal_id) == DealState.refunded
    post_event(stripe_stub.event("charge.refund.updated", {**first, "status": "failed"}))
    assert state(deal_id) == DealState.partially_refunded
    events = [(e.kind, e.to_state) for e in db.session.get(Deal, deal_id).events][-3:]
    assert events == [("refund_part", "partially_refunded"), ("refund", "refunded"),
                      ("refund_part", "partially_refunded")]
    assert ledger.balance(req).refunded == 30_000_000


def test_a_refund_before_the_deal_was_paid_leaves_its_state(
        ctx, client, login_as, parties, stripe_stub, post_event):
    deal_id = sign_deal(parties)
    _, session_id = open_checkout(client, login_as, parties, deal_id)
    stripe_stub.complete(session_id)
    stripe_stub.refund_outside(stripe_stub.charge_of(session_id)["id"], 50_000_000)
    post_event(stripe_stub.event("charge.refunded", stripe_stub.charge_of(session_id)))
    assert state(deal_id) == DealState.payment_pending
