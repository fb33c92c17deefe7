"""Payment pages: checkout amounts from the request, privacy, bank transfer, refunds, receipts,
and the platform without Stripe keys."""

import subprocess
import threading
from datetime import date

from flask_babel import refresh

from marketplace.deals.models import Deal, DealState
from marketplace.extensions import db
from marketplace.payments import ledger
from marketplace.payments.models import EntryKind, PaymentRequest
from tests.conftest import login

from .conftest import sign_deal
from .test_webhooks import kinds, open_checkout, state


def checkout_calls(stub):
    return [c for c in stub.calls if c["path"] == "/v1/checkout/sessions"]


def test_checkout_amount_comes_from_the_request_not_the_browser(
        ctx, client, login_as, parties, stripe_stub):
    deal_id = sign_deal(parties)
    [req] = ledger.requests_of(deal_id)
    login_as(parties["buyer"], lang="en")
    response = client.post(f"/en/payments/requests/{req.id}/checkout",
                           data={"amount": "1", "currency": "USD", "unit_amount": "1"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith(stripe_stub.url + "/checkout/pay/cs_test_")
    [call] = checkout_calls(stripe_stub)
    item = call["body"]["line_items"][0]
    assert item["price_data"]["unit_amount"] == "50000000"
    assert item["price_data"]["currency"] == "krw" and item["quantity"] == "1"
    assert call["body"]["locale"] == "en"
    assert call["body"]["metadata"] == {"payment_request_id": str(req.id),
                                        "deal_id": str(deal_id)}
    assert call["body"]["success_url"].startswith(
        f"http://localhost/en/payments/requests/{req.id}/success?session_id=")
    assert call["body"]["cancel_url"] == f"http://localhost/en/payments/requests/{req.id}/cancel"
    assert call["headers"]["Idempotency-Key"].startswith(f"tto-checkout-{req.id}-")
    created = ledger.ledger_of(deal_id)[-1]
    assert created.kind == EntryKind.checkout_created and created.amount == 50_000_000


def test_someone_elses_deal_is_not_found(ctx, client, login_as, parties, stripe_stub):
    deal_id = sign_deal(parties)
    [req] = ledger.requests_of(deal_id)
    login_as(parties["outsider"])
    assert client.post(f"/ko/payments/requests/{req.id}/checkout").status_code == 404
    assert client.get(f"/ko/payments/deals/{deal_id}").status_code == 404
    assert client.post(f"/ko/payments/requests/{req.id}/transfer",
                       data={f"t{req.id}-reference": "X", f"t{req.id}-value_date":
                             date.today().isoformat()}).status_code == 404
    assert client.get(f"/ko/payments/requests/{req.id}/success").status_code == 404
    assert client.post("/ko/payments/requests/999999/checkout").status_code == 404
    assert checkout_calls(stripe_stub) == []
    assert kinds(deal_id) == [EntryKind.requested]


def test_only_the_payer_starts_a_card_payment(ctx, client, login_as, parties, stripe_stub):
    deal_id = sign_deal(parties)
    [req] = ledger.requests_of(deal_id)
    login_as(parties["seller"], lang="en")
    response = client.post(f"/en/payments/requests/{req.id}/checkout")
    assert response.status_code == 403
    assert "Only the paying side" in response.get_data(as_text=True)
    assert checkout_calls(stripe_stub) == []


def test_stripe_failure_leaves_nothing_written(ctx, client, login_as, parties, stripe_stub):
    deal_id = sign_deal(parties)
    [req] = ledger.requests_of(deal_id)
    login_as(parties["buyer"], lang="en")
    stripe_stub.fail_next = 500
    response = client.post(f"/en/payments/requests/{req.id}/checkout")
    assert response.status_code == 502
    assert "could not be reached" in response.get_data(as_text=True)
    assert kinds(deal_id) == [EntryKind.requested]


def test_success_page_asks_stripe_and_records_the_payment(
        ctx, client, login_as, parties, stripe_stub):
    deal_id = sign_deal(parties)
    req, session_id = open_checkout(client, login_as, parties, deal_id, lang="en")
    pending = client.get(f"/en/payments/requests/{req.id}/success?session_id={session_id}")
    assert 'id="checkout-pending"' in pending.get_data(as_text=True)
    stripe_stub.complete(session_id)
    paid = client.get(f"/en/payments/requests/{req.id}/success?session_id={session_id}")
    assert "The payment was received." in paid.get_data(as_text=True)
    assert state(deal_id) == DealState.paid
    refresh()  # the test's app context (shared with its requests) caches the first locale
    ko = client.get(f"/ko/payments/requests/{req.id}/cancel").get_data(as_text=True)
    assert "결제 페이지를 나왔습니다" in ko


def test_without_stripe_keys_card_is_unavailable_and_bank_transfer_works(
        ctx, client, login_as, parties, stripe_off, make_user):
    deal_id = sign_deal(parties)
    [req] = ledger.requests_of(deal_id)
    login_as(parties["buyer"], lang="ko")
    page = client.get(f"/ko/payments/deals/{deal_id}").get_data(as_text=True)
    assert "카드 결제를 지금 사용할 수 없습니다" in page
    assert f'data-pay="{req.id}"' not in page
    refused = client.post(f"/ko/payments/requests/{req.id}/checkout")
    assert refused.status_code == 409
    prefix = f"t{req.id}-"
    response = client.post(f"/ko/payments/requests/{req.id}/transfer", data={
        prefix + "reference": "KB 20261122-0042", prefix + "value_date": date.today().isoformat(),
        prefix + "amount": "1"})
    assert response.status_code == 303
    declared = ledger.ledger_of(deal_id)[-1]
    assert declared.kind == EntryKind.transfer_declared
    assert (declared.amount, declared.reference) == (50_000_000, "KB 20261122-0042")
    assert state(deal_id) == DealState.payment_pending
    # The payer cannot confirm their own transfer; the payee can.
    assert client.post(f"/ko/payments/entries/{declared.id}/confirm").status_code == 403
    client.post("/ko/logout")
    refresh()  # the test's app context (shared with its requests) caches the first locale
    login_as(parties["seller"], lang="en")
    page = client.get(f"/en/payments/deals/{deal_id}").get_data(as_text=True)
    assert "Card payment is not available at the moment" in page
    assert client.post(f"/en/payments/entries/{declared.id}/confirm").status_code == 303
    assert kinds(deal_id)[-1] == EntryKind.transfer_confirmed
    assert state(deal_id) == DealState.paid
    assert client.post(f"/en/payments/entries/{declared.id}/confirm").status_code == 409
    # Paid: either side may close the deal.
    assert client.post(f"/en/payments/deals/{deal_id}/close").status_code == 303
    assert state(deal_id) == DealState.closed


def test_staff_refund_goes_through_stripe_and_is_recorded_once(
        ctx, client, login_as, parties, stripe_stub, post_event):
    deal_id = sign_deal(parties)
    deal = db.session.get(Deal, deal_id)
    deal.assigned_staff_id = parties["staff"].id
    db.session.commit()
    req, session_id = open_checkout(client, login_as, parties, deal_id)
    post_event(stripe_stub.event("checkout.session.completed", stripe_stub.complete(session_id)))
    paid = ledger.ledger_of(deal_id)[-1]
    client.post("/ko/logout")
    # A party is not staff.
    login_as(parties["buyer"], lang="en")
    form = {f"r{paid.id}-amount": "10,000,000", f"r{paid.id}-reason": "Scope reduced",
            f"r{paid.id}-nonce": "staff-refund-form-1"}
    assert client.post(f"/en/payments/entries/{paid.id}/refund", data=form).status_code == 403
    client.post("/en/logout")
    login_as(parties["staff"], lang="en")
    too_much = {**form, f"r{paid.id}-amount": "60,000,000"}
    assert client.post(f"/en/payments/entries/{paid.id}/refund", data=too_much).status_code \
        == 400
    assert client.post(f"/en/payments/entries/{paid.id}/refund", data={
        f"r{paid.id}-amount": "1000", f"r{paid.id}-nonce": "staff-refund-form-1"}
    ).status_code == 400  # a reason is required
    response = client.post(f"/en/payments/entries/{paid.id}/refund", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    [call] = [c for c in stripe_stub.calls if c["path"] == "/v1/refunds"]
    assert call["body"]["amount"] == "10000000"
    assert call["body"]["payment_intent"] == paid.provider_payment_intent
    assert call["body"]["metadata"]["reason"] == "Scope reduced"
    refund = ledger.ledger_of(deal_id)[-1]
    assert (refund.kind, refund.amount, refund.note) == (EntryKind.refunded, 10_000_000,
                                                         "Scope reduced")
    assert refund.actor_user_id == parties["staff"].id and refund.related_entry_id == paid.id
    # Stripe then reports the same refund by webhook: recognised, not counted twice.
    event = stripe_stub.event("charge.refunded", stripe_stub.charge_of(session_id))
    assert post_event(event).json["outcome"] == "duplicate_fact"
    current = ledger.balance(db.session.get(PaymentRequest, req.id))
    assert (current.paid, current.outstanding) == (40_000_000, 10_000_000)
    assert current.card_payments[0].refundable == 40_000_000


def test_receipt_is_a_bilingual_pdf_for_the_parties_and_assigned_staff(
        ctx, client, login_as, parties, stripe_stub, post_event, tmp_path, fee):
    fee("3")
    deal_id = sign_deal(parties)
    _, session_id = open_checkout(client, login_as, parties, deal_id)
    post_event(stripe_stub.event("checkout.session.completed", stripe_stub.complete(session_id)))
    paid = ledger.ledger_of(deal_id)[-1]
    url = f"/ko/payments/entries/{paid.id}/receipt.pdf"
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.data
    assert pdf.startswith(b"%PDF") and client.get(url).data == pdf  # same bytes each time
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    for words in ("영수증", "Receipt", paid.receipt_no, "₩50,000,000", "₩1,500,000",
                  "플랫폼 수수료", "Platform fee included", "Card (Stripe)"):
        assert words in text, words
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout
    faces = [line.split() for line in fonts.splitlines()[2:]]
    assert any(face[0].endswith("+Contract-Sans") for face in faces)  # the project's font
    assert all(face[-5] == "yes" for face in faces)  # every face embedded (PDF/A)
    client.post("/ko/logout")
    login_as(parties["outsider"])
    assert client.get(url).status_code == 404
    client.post("/ko/logout")
    login_as(parties["staff"])  # staff, but not assigned to this deal
    assert client.get(url).status_code == 404
    deal = db.session.get(Deal, deal_id)
    deal.assigned_staff_id = parties["staff"].id
    db.session.commit()
    assert client.get(url).status_code == 200
    requested = ledger.ledger_of(deal_id)[0]  # not a settled payment: no receipt
    assert client.get(f"/ko/payments/entries/{requested.id}/receipt.pdf").status_code == 404


def test_deal_page_links_to_payments_and_shows_them(ctx, client, login_as, parties,
                                                    stripe_stub, fee):
    fee("2.5")
    deal_id = sign_deal(parties)
    login_as(parties["buyer"], lang="en")
    detail = client.get(f"/en/deals/{deal_id}").get_data(as_text=True)
    assert f'href="/en/payments/deals/{deal_id}"' in detail
    page = client.get(f"/en/payments/deals/{deal_id}").get_data(as_text=True)
    assert "Licence upfront fee (1/1)" in page and "₩50,000,000" in page
    assert "Platform fee (2.5%), included" in page and "₩1,250,000" in page
    assert "Pay ₩50,000,000 <small" in page and "US$35,700" in page and "by card" in page


def _declare(client, req, reference):
    prefix = f"t{req.id}-"
    return client.post(f"/ko/payments/requests/{req.id}/transfer", data={
        prefix + "reference": reference, prefix + "value_date": date.today().isoformat()})


def test_the_payee_can_say_a_declared_transfer_never_arrived(
        ctx, client, login_as, parties, stripe_off):
    deal_id = sign_deal(parties)
    [req] = ledger.requests_of(deal_id)
    login_as(parties["buyer"], lang="ko")
    assert _declare(client, req, "KB 0001").status_code == 303
    first = ledger.ledger_of(deal_id)[-1]
    assert client.post(f"/ko/payments/entries/{first.id}/reject").status_code == 403  # payer
    client.post("/ko/logout")
    refresh()
    login_as(parties["seller"], lang="ko")
    page = client.get(f"/ko/payments/deals/{deal_id}").get_data(as_text=True)
    assert f'data-reject="{first.id}"' in page and "입금되지 않음" in page
    answer = client.post(f"/ko/payments/entries/{first.id}/reject",
                         data={f"x{first.id}-note": "잔액 변동 없음"})
    assert answer.status_code == 303
    assert kinds(deal_id)[-1] == EntryKind.transfer_rejected
    assert ledger.balance(req).status == "awaiting"
    assert state(deal_id) == DealState.payment_pending
    page = client.get(f"/ko/payments/deals/{deal_id}").get_data(as_text=True)
    assert "계좌 이체 미입금" in page and "잔액 변동 없음" in page
    # answered once: neither confirmed nor rejected again
    assert client.post(f"/ko/payments/entries/{first.id}/confirm").status_code == 409
    assert client.post(f"/ko/payments/entries/{first.id}/reject").status_code == 409
    client.post("/ko/logout")
    login_as(parties["buyer"], lang="ko")
    assert _declare(client, req, "KB 0002").status_code == 303  # the payer may try again
    second = ledger.ledger_of(deal_id)[-1]
    client.post("/ko/logout")
    login_as(parties["seller"], lang="ko")
    assert client.post(f"/ko/payments/entries/{second.id}/confirm").status_code == 303
    assert state(deal_id) == DealState.paid and ledger.balance(req).paid == req.amount


def _paid_with_staff(client, login_as, parties, stripe_stub, post_event):
    """A deal paid by card, with its assigned staff signed in; returns (deal id, entry)."""
    deal_id = sign_deal(parties)
    db.session.get(Deal, deal_id).assigned_staff_id = parties["staff"].id
    db.session.commit()
    _, session_id = open_checkout(client, login_as, parties, deal_id)
    post_event(stripe_stub.event("checkout.session.completed", stripe_stub.complete(session_id)))
    client.post("/ko/logout")
    login_as(parties["staff"], lang="ko")
    return deal_id, ledger.ledger_of(deal_id)[-1]


def _refunds(deal_id):
    db.session.expire_all()
    return [e for e in ledger.ledger_of(deal_id) if e.kind == EntryKind.refunded]


def test_a_refund_form_sent_twice_refunds_once(ctx, client, login_as, parties, stripe_stub,
                                               post_event):
    deal_id, paid = _paid_with_staff(client, login_as, parties, stripe_stub, post_event)
    page = client.get(f"/ko/payments/deals/{deal_id}").get_data(as_text=True)
    nonce = page.split(f'name="r{paid.id}-nonce" type="hidden" value="')[1].split('"')[0]
    form = {f"r{paid.id}-amount": "50,000,000", f"r{paid.id}-reason": "계약 해지",
            f"r{paid.id}-nonce": nonce}
    first = client.post(f"/ko/payments/entries/{paid.id}/refund", data=form)
    second = client.post(f"/ko/payments/entries/{paid.id}/refund", data=form)
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    [refund] = _refunds(deal_id)
    assert (refund.amount, refund.action_nonce) == (50_000_000, nonce)
    from marketplace.audit import AuditEntry
    [entry] = db.session.scalars(db.select(AuditEntry)).all()  # the form sent twice: one row
    assert (entry.kind, entry.subject_type, entry.subject_id, entry.reason) == (
        "payment_refunded", "payment_ledger", refund.id, "계약 해지")
    calls = [c for c in stripe_stub.calls if c["path"] == "/v1/refunds"]
    assert len(calls) == 1 and len(stripe_stub.refunds) == 1
    assert calls[0]["headers"]["Idempotency-Key"] == f"tto-refund-{nonce}"
    # a new form (a new nonce) is a new staff action
    fresh = client.get(f"/ko/payments/deals/{deal_id}").get_data(as_text=True)
    assert nonce not in fresh


def test_a_refund_form_without_its_nonce_is_refused(ctx, client, login_as, parties,
                                                    stripe_stub, post_event):
    deal_id, paid = _paid_with_staff(client, login_as, parties, stripe_stub, post_event)
    for nonce in (None, "short", "x" * 65, "bad nonce with spaces!"):
        form = {f"r{paid.id}-amount": "1,000", f"r{paid.id}-reason": "x"}
        if nonce is not None:
            form[f"r{paid.id}-nonce"] = nonce
        response = client.post(f"/ko/payments/entries/{paid.id}/refund", data=form)
        assert response.status_code == 400
        assert "페이지를 새로 고친 뒤" in response.get_data(as_text=True)
    assert _refunds(deal_id) == []



def test_two_refund_posts_racing_with_one_nonce_refund_once(ctx, app, client, login_as, parties,
                                                            stripe_stub, post_event):
    """A double click: both requests at once, each on its own connection."""
    deal_id, paid = _paid_with_staff(client, login_as, parties, stripe_stub, post_event)
    url = f"/ko/payments/entries/{paid.id}/refund"
    form = {f"r{paid.id}-amount": "20,000,000", f"r{paid.id}-reason": "중복 클릭",
            f"r{paid.id}-nonce": "double-click-nonce-0001"}
    clients = [app.test_client() for _ in range(2)]
    for each in clients:
        with app.app_context():  # a fresh `g`: the ctx's signed-in user is not this client's
            login(each, parties["staff"])
    barrier, statuses = threading.Barrier(len(clients)), []

    def post(each):
        barrier.wait(timeout=10)
        statuses.append(each.post(url, data=form).status_code)

    threads = [threading.Thread(target=post, args=(each,)) for each in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [303, 303]
    assert [r.amount for r in _refunds(deal_id)] == [20_000_000]
    # No lock is held while Stripe is called, so both may ask; one idempotency key, one refund.
    calls = [c for c in stripe_stub.calls if c["path"] == "/v1/refunds"]
    assert {c["headers"]["Idempotency-Key"] for c in calls} == {
        "tto-refund-double-click-nonce-0001"}
    assert len(stripe_stub.refunds) == 1
