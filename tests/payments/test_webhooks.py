"""Stripe webhooks: real signed payloads POSTed to the endpoint; API calls go to the local stub."""

import json
import time

import pytest
import sqlalchemy as sa

from marketplace.deals.models import Deal, DealState
from marketplace.extensions import db
from marketplace.payments import ledger
from marketplace.payments.models import EntryKind, LedgerEntry, ProviderEvent

from .conftest import sign_deal
from .stripe_stub import sign


def open_checkout(client, login_as, parties, deal_id, lang="ko"):
    """The buyer starts a card payment; returns (request, Checkout Session id)."""
    [req] = ledger.requests_of(deal_id)
    login_as(parties["buyer"], lang=lang)
    response = client.post(f"/{lang}/payments/requests/{req.id}/checkout")
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    session_id = response.headers["Location"].rsplit("/", 1)[1]
    return req, session_id


def kinds(deal_id):
    db.session.expire_all()
    return [e.kind for e in ledger.ledger_of(deal_id)]


def state(deal_id):
    db.session.expire_all()
    return db.session.get(Deal, deal_id).state


def test_completed_session_pays_the_request_and_the_deal(
        ctx, client, login_as, parties, stripe_stub, post_event):
    deal_id = sign_deal(parties)
    req, session_id = open_checkout(client, login_as, parties, deal_id)
    session = stripe_stub.complete(session_id)
    response = post_event(stripe_stub.event("checkout.session.completed", session))
    assert response.status_code == 200 and response.json["outcome"] == "recorded"
    assert kinds(deal_id) == [EntryKind.requested, EntryKind.checkout_created,
                              EntryKind.succeeded]
    paid = ledger.ledger_of(deal_id)[-1]
    assert (paid.amount, paid.currency, paid.provider_ref) == (50_000_000, "KRW", session_id)
    assert paid.provider_payment_intent == session["payment_intent"]
    assert paid.payload["id"] == session_id  # the provider payload is kept
    assert state(deal_id) == DealState.paid
    assert ledger.balance(req).settled
    assert db.session.get(Deal, deal_id).events[-1].kind == "mark_paid"


def test_duplicate_delivery_changes_nothing(ctx, client, login_as, parties, stripe_stub,
                                            post_event):
    deal_id = sign_deal(parties)
    _, session_id = open_checkout(client, login_as, parties, deal_id)
    payload = stripe_stub.event("checkout.session.completed", stripe_stub.complete(session_id))
    assert post_event(payload).json["outcome"] == "recorded"
    again = post_event(payload)  # Stripe retries the same event
    assert again.status_code == 200 and again.json["outcome"] == "duplicate"
    # The same fact in another event (Stripe sends at least once, maybe twice).
    other = stripe_stub.event("checkout.session.completed", stripe_stub.sessions[session_id])
    assert post_event(other).json["outcome"] == "duplicate_fact"
    assert kinds(deal_id).count(EntryKind.succeeded) == 1
    assert db.session.scalar(sa.select(sa.func.count(ProviderEvent.id))) == 2
    events = [e.kind for e in db.session.get(Deal, deal_id).events]
    assert events.count("mark_paid") == 1


def test_refund_before_completion_ends_with_the_right_balance(
        ctx, client, login_as, parties, stripe_stub, post_event):
    """Out of order: `charge.refunded` arrives before `checkout.session.completed`."""
    deal_id = sign_deal(parties)
    req, session_id = open_checkout(client, login_as, parties, deal_id)
    completed = stripe_stub.event("checkout.session.completed", stripe_stub.complete(session_id))
    charge = stripe_stub.charge_of(session_id)
    stripe_stub.refund_outside(charge["id"], 50_000_000)
    refunded = stripe_stub.event("charge.refunded", stripe_stub.charge_of(session_id))
    assert post_event(refunded).json["outcome"] == "recorded"  # PI looked up at the stub
    assert post_event(completed).json["outcome"] == "recorded"
    assert kinds(deal_id)[-2:] == [EntryKind.refunded, EntryKind.succeeded]
    current = ledger.balance(req)
    assert (current.received, current.refunded, current.paid) == (50_000_000, 50_000_000, 0)
    assert not current.settled and current.status == "refunded"
    assert state(deal_id) == DealState.payment_pending


def test_failed_payment_is_recorded_and_leaves_the_request_open(
        ctx, client, login_as, parties, stripe_stub, post_event):
    deal_id = sign_deal(parties)
    req, session_id = open_checkout(client, login_as, parties, deal_id)
    intent = stripe_stub.failed_intent(session_id)
    response = post_event(stripe_stub.event("payment_intent.payment_failed", intent))
    assert response.json["outcome"] == "recorded"
    failed = ledger.ledger_of(deal_id)[-1]
    assert failed.kind == EntryKind.failed and failed.amount == 50_000_000
    assert failed.note == "Your card was declined."
    assert not ledger.balance(req).settled
    assert state(deal_id) == DealState.payment_pending


def test_expired_session_is_recorded_and_a_new_one_can_be_opened(
        ctx, client, login_as, parties, stripe_stub, post_event):
    deal_id = sign_deal(parties)
    req, session_id = open_checkout(client, login_as, parties, deal_id)
    # While the first session is open, paying again reuses it.
    again = client.post(f"/ko/payments/requests/{req.id}/checkout")
    assert again.headers["Location"].endswith(session_id)
    response = post_event(stripe_stub.event("checkout.session.expired",
                                            stripe_stub.expire(session_id)))
    assert response.json["outcome"] == "recorded"
    assert kinds(deal_id)[-1] == EntryKind.expired
    fresh = client.post(f"/ko/payments/requests/{req.id}/checkout")
    assert fresh.status_code == 303 and not fresh.headers["Location"].endswith(session_id)
    assert state(deal_id) == DealState.payment_pending


def test_forged_signature_is_refused_and_changes_nothing(
        ctx, client, login_as, parties, stripe_stub, post_event):
    deal_id = sign_deal(parties)
    _, session_id = open_checkout(client, login_as, parties, deal_id)
    payload = stripe_stub.event("checkout.session.completed", stripe_stub.complete(session_id))
    assert post_event(payload, secret="whsec_someone_else").status_code == 400
    assert post_event(payload, signature="t=1,v1=deadbeef").status_code == 400
    assert post_event(payload, signature="").status_code == 400
    # A valid signature over another body does not carry over to a changed body.
    tampered = payload.replace('"amount_total": 50000000', '"amount_total": 1')
    assert tampered != payload
    assert post_event(tampered, signature=sign(payload)).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ProviderEvent.id))) == 0
    assert EntryKind.succeeded not in kinds(deal_id)
    assert state(deal_id) == DealState.payment_pending


def test_stale_timestamp_is_refused(ctx, client, login_as, parties, stripe_stub, post_event):
    deal_id = sign_deal(parties)
    _, session_id = open_checkout(client, login_as, parties, deal_id)
    payload = stripe_stub.event("checkout.session.completed", stripe_stub.complete(session_id))
    response = post_event(payload, timestamp=int(time.time()) - 3600)
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ProviderEvent.id))) == 0
    assert state(deal_id) == DealState.payment_pending


def test_webhook_needs_no_csrf_token_but_refuses_garbage(app, client, stripe_stub, post_event):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        body = json.dumps({"id": "evt_x", "object": "event", "type": "customer.created",
                           "data": {"object": {}}})
        response = post_event(body)
        assert response.status_code == 200 and response.json["outcome"] == "ignored"
        assert post_event("not json").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_webhook_without_a_secret_is_unavailable(client, stripe_off):
    response = client.post("/payments/stripe/webhook", data=b"{}",
                           headers={"Stripe-Signature": "t=1,v1=x"})
    assert response.status_code == 503


def test_event_for_an_unknown_request_is_acknowledged_and_ignored(
        ctx, client, stripe_stub, post_event):
    session = {"id": "cs_test_other", "object": "checkout.session", "status": "complete",
               "payment_status": "paid", "amount_total": 100, "currency": "usd",
               "metadata": {"payment_request_id": "999", "deal_id": "999"}}
    response = post_event(stripe_stub.event("checkout.session.completed", session))
    assert response.status_code == 200 and response.json["outcome"] == "unmatched"
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 0


MALFORMED_EVENTS = {
    "a list": "[]",
    "a number": "42",
    "no id": '{"type": "charge.refunded", "data": {"object": {}}}',
    "data not an object": '{"id": "evt_1", "type": "charge.refunded", "data": []}',
    "session without id": '{"id": "evt_2", "type": "checkout.session.completed", '
                          '"data": {"object": {}}}',
    "metadata not an object": '{"id": "evt_3", "type": "payment_intent.payment_failed", '
                              '"data": {"object": {"id": "pi_1", "metadata": "x"}}}',
    "created out of range": '{"id": "evt_4", "type": "charge.refunded", '
                            '"created": 99999999999999999999, "data": {"object": {}}}',
    "nested 50,000 deep": "[" * 50_000 + "]" * 50_000,
}


@pytest.mark.parametrize("payload", MALFORMED_EVENTS.values(), ids=MALFORMED_EVENTS.keys())
def test_a_signed_but_malformed_event_is_a_json_400_and_writes_nothing(ctx, stripe_stub,
                                                                       post_event, payload):
    response = post_event(payload)
    assert response.status_code == 400
    assert response.is_json and response.get_json()["error"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProviderEvent)) == 0
