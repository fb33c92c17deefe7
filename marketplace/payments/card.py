"""Card payments through Stripe Checkout: opening a session for what a request still owes, and
recording what Stripe says became of it (paid, expired, failed).

A Stripe call that creates something is made before anything is written for it, and what it
returns is recorded in the same transaction that the caller then commits: a refused call leaves
nothing behind, and a commit that fails after the call is healed by the provider's webhook (the
same fact is recognised by its `dedupe_key`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l

from ..errors import Conflict
from ..extensions import db
from . import stripe_gateway as gateway
from .ledger import Balance, append, balance, lock_deal, require_payable, require_payer, settle_deal
from .models import EntryKind, Method, PaymentRequest, ProviderEvent

log = logging.getLogger(__name__)

#: A Checkout Session stays open this long (Stripe allows 30 minutes to 24 hours).
CHECKOUT_MINUTES = 60


# ---- card payments (Stripe Checkout) ------------------------------------------------------

def card_unavailable_reason(req: PaymentRequest, current: Balance | None = None):
    """Why this request cannot be paid by card now (translated), or None."""
    if not gateway.available():
        return _l("Card payment is not available at the moment. Please pay by bank transfer.")
    current = current or balance(req)
    if current.outstanding > gateway.max_amount():
        return _l("This amount is too large for a card payment. Please pay by bank transfer.")
    return None


def start_checkout(req: PaymentRequest, user, *, lang: str, success_url: str,
                   cancel_url: str) -> str:
    """The hosted Checkout page's address for paying what `req` still owes.

    The amount and currency come from the request and its ledger, never from the browser. A
    session still open for this request is reused rather than a second one opened. No row lock
    is held while Stripe is called: the checks read without it (two tabs get the same session
    through the idempotency key), and the deal's lock is taken to record what Stripe opened."""
    require_payer(req, user)
    current = require_payable(req)
    if current.pending_transfers:
        raise Conflict(_l("You declared a bank transfer for this payment; the other side has "
                          "not confirmed it yet."))
    reason = card_unavailable_reason(req, current)
    if reason:
        raise Conflict(reason)
    if current.open_checkout is not None \
            and current.open_checkout.amount == current.outstanding \
            and current.open_checkout.payload.get("url"):
        return current.open_checkout.payload["url"]
    amount = current.outstanding
    metadata = {"payment_request_id": str(req.id), "deal_id": str(req.deal_id)}
    deal = req.deal
    expires_at = int((datetime.now(UTC) + timedelta(minutes=CHECKOUT_MINUTES)).timestamp())
    attempt = sum(1 for e in current.entries if e.kind == EntryKind.checkout_created)
    session = gateway.create_checkout_session(
        amount=amount, currency=req.currency,
        product_name=f"{deal.title} — {req.purpose_label} ({req.seq}/{req.count})",
        description=f"{req.reference}", success_url=success_url, cancel_url=cancel_url,
        lang=lang, metadata=metadata, customer_email=getattr(user, "email", None),
        idempotency_key=f"tto-checkout-{req.id}-{attempt}-{current.paid}", expires_at=expires_at)
    if session.amount_total not in (None, amount) or \
            (session.currency and session.currency != req.currency):
        raise gateway.GatewayError("Checkout Session amount differs from the request")
    lock_deal(req.deal_id)
    append(req, EntryKind.checkout_created, amount, method=Method.card, provider="stripe",
           provider_ref=session.id, dedupe_key=f"stripe:session:{session.id}",
           payload={"url": session.url, "expires_at": session.expires_at or expires_at,
                     "session": session.raw}, actor=user)
    if not session.url:
        raise gateway.GatewayError("Checkout Session without a URL")
    return session.url


def request_from_metadata(metadata: dict) -> PaymentRequest | None:
    try:
        req_id = int(metadata.get("payment_request_id", ""))
    except (TypeError, ValueError):
        return None
    req = db.session.get(PaymentRequest, req_id)
    if req is None or str(req.deal_id) != str(metadata.get("deal_id")):
        return None
    return req


def _locked_request(metadata: dict) -> PaymentRequest | None:
    """The request a provider object names, with its deal's lock taken; None if none."""
    req = request_from_metadata(metadata)
    if req is not None:
        lock_deal(req.deal_id)
    return req


def record_checkout_completed(session: gateway.CheckoutSession,
                              event: ProviderEvent | None = None) -> str:
    """A Checkout Session finished: when paid, the card payment is recorded (once)."""
    req = _locked_request(session.metadata)
    if req is None:
        return "unmatched"
    if session.status != "complete" or session.payment_status != "paid":
        return "not_paid"
    currency = (session.currency or req.currency).upper()
    if currency != req.currency or not session.amount_total:
        log.error("checkout session %s paid %s %s for request %s in %s", session.id,
                  session.amount_total, currency, req.id, req.currency)
        return "mismatch"
    entry = append(req, EntryKind.succeeded, session.amount_total, currency=currency,
                   method=Method.card, provider="stripe", provider_ref=session.id,
                   payment_intent=session.payment_intent, provider_event=event,
                   dedupe_key=f"stripe:paid:{session.id}", payload=session.raw)
    if entry is None:
        return "duplicate_fact"
    settle_deal(req.deal_id)
    return "recorded"


def record_checkout_expired(session: gateway.CheckoutSession,
                            event: ProviderEvent | None = None) -> str:
    req = _locked_request(session.metadata)
    if req is None:
        return "unmatched"
    amount = session.amount_total or req.amount
    entry = append(req, EntryKind.expired, amount, method=Method.card, provider="stripe",
                   provider_ref=session.id, provider_event=event,
                   dedupe_key=f"stripe:expired:{session.id}", payload=session.raw)
    return "recorded" if entry else "duplicate_fact"


def record_payment_failed(intent: dict, event: ProviderEvent) -> str:
    req = request_from_metadata(intent.get("metadata") or {})
    if req is None or not intent.get("amount"):
        return "unmatched"
    lock_deal(req.deal_id)
    error = intent.get("last_payment_error") or {}
    entry = append(req, EntryKind.failed, intent["amount"],
                   currency=(intent.get("currency") or req.currency), method=Method.card,
                   provider="stripe", provider_ref=intent.get("id"),
                   payment_intent=intent.get("id"), provider_event=event,
                   dedupe_key=f"stripe:failed:{event.event_id}",
                   note=(error.get("message") or error.get("code") or None), payload=intent)
    return "recorded" if entry else "duplicate_fact"


def confirm_from_success_page(req: PaymentRequest, session_id: str | None) -> bool:
    """The payer came back from Checkout: ask Stripe (never the browser) whether it was paid,
    so the page is right even when the webhook is late. True when the request is now paid."""
    if session_id and gateway.available():
        try:
            session = gateway.retrieve_checkout_session(session_id)
        except gateway.GatewayError:
            session = None
        if session is not None and session.metadata.get("payment_request_id") == str(req.id):
            record_checkout_completed(session)
    return balance(req).settled
