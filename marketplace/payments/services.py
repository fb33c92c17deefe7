"""Payments of signed deals: requests from the signed Terms, card payments through Stripe
Checkout, bank transfers declared and confirmed, refunds, and what each request still owes.

Services flush; the caller commits once (a view, the webhook, a job). A Stripe call that creates
something (a Checkout Session, a refund) is made before anything is written for it, and what it
returns is recorded in the same transaction that the caller then commits: a refused call leaves
nothing behind, and a commit that fails after the call is healed by the provider's webhook (the
same fact is recognised by its `dedupe_key`).

Every change to a deal's payments first takes the deal's row lock, so the webhook, the success
page and a staff refund touching one deal run one after the other.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import domain_events, jobs
from ..agreements.access import signed_contract
from ..deals import services as deal_services
from ..deals.events import canonical
from ..deals.models import SYSTEM, Deal, DealState, DealType, Side
from ..deals.terms import MAX_MONEY
from ..errors import Conflict, DomainError, NotFound, PermissionDenied
from ..extensions import db
from . import stripe_gateway as gateway
from .models import (
    MONEY_IN,
    MONEY_OUT,
    EntryKind,
    LedgerEntry,
    Method,
    PaymentRequest,
    ProviderEvent,
    Purpose,
)

log = logging.getLogger(__name__)

MAX_TOTAL = MAX_MONEY  # what the terms let through is what a payment may be
MAX_REFERENCE = 100
MAX_NOTE = 2000
#: A staff form's one-time nonce (`secrets.token_urlsafe`).
NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
#: A Checkout Session stays open this long (Stripe allows 30 minutes to 24 hours).
CHECKOUT_MINUTES = 60

# ---- from the signed Terms to payment requests ---------------------------------------------


def _total(deal_type: DealType, fields: dict) -> tuple[Purpose, int | None]:
    """The amount the Terms make the buyer pay at signing, and what it is for."""
    if deal_type == DealType.license:
        return Purpose.upfront_fee, fields.get("upfront_fee") or None
    if deal_type == DealType.transfer:
        return Purpose.price, fields.get("price")
    if deal_type == DealType.poc:
        return Purpose.poc_fee, fields.get("fee") or None
    if deal_type == DealType.supply:
        quantity, unit_price = fields.get("quantity"), fields.get("unit_price")
        return Purpose.supply, quantity * unit_price if quantity and unit_price else None
    if deal_type == DealType.investment:
        return Purpose.investment, fields.get("amount")
    if deal_type == DealType.acquisition:
        return Purpose.acquisition, fields.get("amount")
    return Purpose.scheduled, None  # joint development: only a schedule asks for money


def plan(deal_type, fields: dict, signed_on: date) -> list[dict]:
    """The payments the Terms call for: the schedule when there is one, otherwise one payment
    of the total, due on the day of signing. Empty when the Terms ask for no money."""
    purpose, total = _total(DealType(deal_type), fields)
    schedule = [item for item in fields.get("payment_schedule") or [] if item.get("amount")]
    if schedule:
        items = [(int(item["amount"]), date.fromisoformat(item["due"])) for item in schedule]
    elif total:
        items = [(int(total), signed_on)]
    else:
        return []
    for amount, _ in items:
        if not 0 < amount <= MAX_TOTAL:
            raise DomainError(_l("A payment in the signed terms is out of range."))
    return [{"seq": n, "count": len(items), "purpose": purpose, "amount": amount, "due": due}
            for n, (amount, due) in enumerate(items, start=1)]


def fee_percent() -> Decimal:
    raw = current_app.config["PLATFORM_FEE_PERCENT"]
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise RuntimeError("PLATFORM_FEE_PERCENT must be a number") from None
    if not (0 <= value < 100) or value != value.quantize(Decimal("0.01")):
        raise RuntimeError("PLATFORM_FEE_PERCENT must be 0 to 99.99, two decimals at most")
    return value


def fee_for(amount: int, percent: Decimal) -> int:
    """The platform's share of `amount` minor units, rounded half up to a whole minor unit."""
    return int((Decimal(amount) * percent / 100).to_integral_value(rounding=ROUND_HALF_UP))


def local_today() -> date:
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.now(tz).date()


def signed_terms_version(deal: Deal) -> int:
    """The Terms version the signed contract was drafted from; without a contract record (a
    deal signed another way), the version both sides accepted."""
    contract = signed_contract(deal)
    if contract is not None:
        return contract.terms_version
    version = deal.accepted_version_of(Side.buyer)
    if not version or version != deal.accepted_version_of(Side.seller):
        raise Conflict(_l("The two sides have not agreed on one version of the terms."))
    return version


def _lock_deal(deal_id: int) -> Deal:
    """The deal's row lock (the same no-op UPDATE the deal's own transitions take), reloaded."""
    db.session.execute(sa.update(Deal).where(Deal.id == deal_id)
                       .values(event_seq=Deal.event_seq)
                       .execution_options(synchronize_session=False))
    return db.session.execute(sa.select(Deal).where(Deal.id == deal_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()


def requests_of(deal_id: int) -> list[PaymentRequest]:
    return list(db.session.scalars(sa.select(PaymentRequest)
                                   .where(PaymentRequest.deal_id == deal_id)
                                   .order_by(PaymentRequest.terms_version, PaymentRequest.seq)))


def create_payment_requests(deal: Deal, actor=SYSTEM) -> list[PaymentRequest]:
    """Turn the signed Terms version's schedule into payment requests and move the deal to
    payment_pending. Idempotent: a deal that already has its requests gets them back, and one
    that has moved on is left alone. Terms that ask for no money create nothing and leave the
    deal `signed` (its parties close it)."""
    deal = _lock_deal(deal.id)
    existing = requests_of(deal.id)
    if existing or deal.state != DealState.signed:
        return existing
    version = signed_terms_version(deal)
    terms = deal.terms(version)
    items = plan(deal.deal_type, terms.fields, local_today())
    if not items:
        return []
    percent = fee_percent()
    created = []
    for item in items:
        req = PaymentRequest(
            deal_id=deal.id, terms_version=version, seq=item["seq"], count=item["count"],
            purpose=item["purpose"], amount=item["amount"], currency=terms.currency,
            fee_percent=percent, fee_amount=fee_for(item["amount"], percent),
            due_date=item["due"], payer_org_id=deal.buyer_org_id,
            payee_org_id=deal.seller_org_id)
        db.session.add(req)
        created.append(req)
    db.session.flush()
    for req in created:
        _append(req, EntryKind.requested, req.amount, dedupe_key=f"requested:{req.id}",
                payload={"terms_version": version, "seq": req.seq, "due": req.due_date,
                         "purpose": req.purpose.value, "fee_percent": str(percent),
                         "fee_amount": req.fee_amount},
                actor=actor)
    deal.request_payment(actor, {
        "terms_version": version, "currency": terms.currency,
        "requests": [{"id": r.id, "amount": r.amount, "due": r.due_date.isoformat()}
                     for r in created]})
    return created


@jobs.job(queue="default", timeout=120, retries=3)
def create_requests_job(deal_id: int) -> int:
    """Run once a deal reached `signed` (enqueued by the hook below). Idempotent."""
    deal = db.session.get(Deal, deal_id)
    if deal is None:
        return 0
    return len(create_payment_requests(deal, SYSTEM))


@domain_events.subscribe("mark_signed")
def _on_deal_signed(deal, event, actor) -> None:
    """When the deal is marked signed (by whichever module signs the contract), ask for the
    payments once that transaction commits."""
    if event.to_state == DealState.signed.value:
        jobs.enqueue(create_requests_job, deal.id)


# ---- what each request owes ---------------------------------------------------------------

@dataclass
class CardPayment:
    entry: LedgerEntry
    refunded: int = 0

    @property
    def refundable(self) -> int:
        return max(self.entry.amount - self.refunded, 0)


@dataclass
class Balance:
    request: PaymentRequest
    entries: list[LedgerEntry] = field(default_factory=list)
    received: int = 0
    refunded: int = 0
    pending_transfers: list[LedgerEntry] = field(default_factory=list)
    card_payments: list[CardPayment] = field(default_factory=list)
    settlements: list[LedgerEntry] = field(default_factory=list)
    open_checkout: LedgerEntry | None = None

    @property
    def paid(self) -> int:
        return self.received - self.refunded

    @property
    def outstanding(self) -> int:
        return max(self.request.amount - self.paid, 0)

    @property
    def settled(self) -> bool:
        return self.paid >= self.request.amount

    @property
    def overdue(self) -> bool:
        return not self.settled and self.request.due_date < local_today()

    @property
    def status(self) -> str:
        if self.settled:
            return "refunded_part" if self.refunded else "paid"
        if self.refunded and self.paid <= 0:
            return "refunded"
        if self.pending_transfers:
            return "transfer_declared"
        if self.paid > 0:
            return "part_paid"
        return "overdue" if self.overdue else "awaiting"


STATUS_LABELS = {
    "paid": _l("Paid"),
    "refunded_part": _l("Paid (partly refunded, still covered)"),
    "refunded": _l("Refunded"),
    "transfer_declared": _l("Bank transfer declared, awaiting confirmation"),
    "part_paid": _l("Partly paid"),
    "overdue": _l("Overdue"),
    "awaiting": _l("Awaiting payment"),
}


def balance(req: PaymentRequest, entries: list[LedgerEntry] | None = None) -> Balance:
    """Everything about one request, derived from its ledger rows (never stored)."""
    if entries is None:
        entries = list(db.session.scalars(sa.select(LedgerEntry).where(
            LedgerEntry.payment_request_id == req.id).order_by(LedgerEntry.id)))
    result = Balance(req, entries)
    answered = {e.related_entry_id for e in entries
                if e.kind in (EntryKind.transfer_confirmed, EntryKind.transfer_rejected)}
    closed_sessions = {e.provider_ref for e in entries
                       if e.kind in (EntryKind.expired, EntryKind.succeeded)}
    cards: dict[str, CardPayment] = {}
    refunds_by_intent: dict[str | None, int] = {}
    now = datetime.now(UTC).timestamp()
    for entry in entries:
        if entry.kind in MONEY_IN:
            result.received += entry.amount
            result.settlements.append(entry)
        elif entry.kind in MONEY_OUT:
            result.refunded += entry.amount
            refunds_by_intent[entry.provider_payment_intent] = \
                refunds_by_intent.get(entry.provider_payment_intent, 0) + entry.amount
        if entry.kind == EntryKind.succeeded and entry.provider_payment_intent:
            cards[entry.provider_payment_intent] = CardPayment(entry)
        if entry.kind == EntryKind.transfer_declared and entry.id not in answered:
            result.pending_transfers.append(entry)
        if entry.kind == EntryKind.checkout_created and entry.provider_ref not in closed_sessions \
                and (entry.payload or {}).get("expires_at", 0) > now + 60:
            result.open_checkout = entry
    for intent, card in cards.items():
        card.refunded = refunds_by_intent.get(intent, 0)
    result.card_payments = list(cards.values())
    return result


def balances(deal_id: int) -> list[Balance]:
    reqs = requests_of(deal_id)
    entries = list(db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.deal_id == deal_id).order_by(LedgerEntry.id)))
    return [balance(r, [e for e in entries if e.payment_request_id == r.id]) for r in reqs]


def ledger_of(deal_id: int) -> list[LedgerEntry]:
    return list(db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.deal_id == deal_id)
                                   .order_by(LedgerEntry.id)))


def _settle_deal(deal_id: int) -> None:
    """Once every request of a deal is covered, the deal is paid."""
    deal = db.session.get(Deal, deal_id)
    if deal.state != DealState.payment_pending:
        return
    all_balances = balances(deal_id)
    if all_balances and all(b.settled for b in all_balances):
        deal.mark_paid(SYSTEM, {"requests": [
            {"id": b.request.id, "amount": b.request.amount, "paid": b.paid}
            for b in all_balances], "currency": all_balances[0].request.currency})


# ---- the ledger ---------------------------------------------------------------------------

def _append(req: PaymentRequest, kind: EntryKind, amount: int, *, currency: str | None = None,
            method: Method | None = None, provider: str | None = None,
            provider_ref: str | None = None, payment_intent: str | None = None,
            provider_event: ProviderEvent | None = None, dedupe_key: str | None = None,
            related: LedgerEntry | None = None, reference: str | None = None,
            value_date: date | None = None, note: str | None = None,
            payload: dict | None = None, actor=None,
            action_nonce: str | None = None) -> LedgerEntry | None:
    """Write one fact; None when the same fact (its `dedupe_key`) is already recorded.
    The caller holds the deal's lock."""
    if dedupe_key and db.session.scalar(sa.select(LedgerEntry.id).where(
            LedgerEntry.dedupe_key == dedupe_key)):
        return None
    if int(amount) <= 0:
        raise DomainError(_l("A payment amount must be greater than zero."))
    entry = LedgerEntry(
        payment_request_id=req.id, deal_id=req.deal_id, kind=kind, method=method,
        amount=int(amount), currency=(currency or req.currency).upper(), provider=provider,
        provider_ref=provider_ref, provider_payment_intent=payment_intent,
        provider_event_id=provider_event.id if provider_event is not None else None,
        dedupe_key=dedupe_key, related_entry_id=related.id if related is not None else None,
        reference=reference, value_date=value_date, note=note,
        payload=_json(payload or {}), action_nonce=action_nonce,
        actor_user_id=getattr(actor, "id", None))
    db.session.add(entry)
    db.session.flush()
    return entry


def _json(value):
    """Plain JSON types only (dates as ISO strings), as the row stores them."""
    return json.loads(canonical(value))


# ---- scoped lookups -----------------------------------------------------------------------

def request_for_viewer_or_404(request_id: int, user) -> PaymentRequest:
    """The request when `user` may see its deal; NotFound otherwise (existing or not)."""
    req = db.session.get(PaymentRequest, request_id)
    if req is None:
        raise NotFound(_l("This payment does not exist."))
    deal_services.deal_for_viewer_or_404(req.deal_id, user)
    return req


def entry_for_viewer_or_404(entry_id: int, user) -> LedgerEntry:
    entry = db.session.get(LedgerEntry, entry_id)
    if entry is None:
        raise NotFound(_l("This payment does not exist."))
    deal_services.deal_for_viewer_or_404(entry.deal_id, user)
    return entry


def _require_payer(req: PaymentRequest, user) -> None:
    if req.deal.side_of(user) != Side.buyer:
        raise PermissionDenied(_l("Only the paying side of the deal can do this."))


def _require_payee(req: PaymentRequest, user) -> None:
    if req.deal.side_of(user) != Side.seller:
        raise PermissionDenied(_l("Only the receiving side of the deal can do this."))


def _require_payable(req: PaymentRequest) -> Balance:
    state = db.session.get(Deal, req.deal_id).state
    if state not in (DealState.payment_pending, DealState.paid):
        raise Conflict(_l("This deal is not waiting for payment."))
    current = balance(req)
    if current.settled:
        raise Conflict(_l("This payment has already been made."))
    return current


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
    session still open for this request is reused rather than a second one opened."""
    _lock_deal(req.deal_id)
    _require_payer(req, user)
    current = _require_payable(req)
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
    _append(req, EntryKind.checkout_created, amount, method=Method.card, provider="stripe",
            provider_ref=session.id, dedupe_key=f"stripe:session:{session.id}",
            payload={"url": session.url, "expires_at": session.expires_at or expires_at,
                     "session": session.raw}, actor=user)
    if not session.url:
        raise gateway.GatewayError("Checkout Session without a URL")
    return session.url


def _request_from_metadata(metadata: dict) -> PaymentRequest | None:
    try:
        req_id = int(metadata.get("payment_request_id", ""))
    except (TypeError, ValueError):
        return None
    req = db.session.get(PaymentRequest, req_id)
    if req is None or str(req.deal_id) != str(metadata.get("deal_id")):
        return None
    return req


def record_checkout_completed(session: gateway.CheckoutSession,
                              event: ProviderEvent | None = None) -> str:
    """A Checkout Session finished: when paid, the card payment is recorded (once)."""
    req = _request_from_metadata(session.metadata)
    if req is None:
        return "unmatched"
    _lock_deal(req.deal_id)
    if session.status != "complete" or session.payment_status != "paid":
        return "not_paid"
    currency = (session.currency or req.currency).upper()
    if currency != req.currency or not session.amount_total:
        log.error("checkout session %s paid %s %s for request %s in %s", session.id,
                  session.amount_total, currency, req.id, req.currency)
        return "mismatch"
    entry = _append(req, EntryKind.succeeded, session.amount_total, currency=currency,
                    method=Method.card, provider="stripe", provider_ref=session.id,
                    payment_intent=session.payment_intent, provider_event=event,
                    dedupe_key=f"stripe:paid:{session.id}", payload=session.raw)
    if entry is None:
        return "duplicate_fact"
    _settle_deal(req.deal_id)
    return "recorded"


def record_checkout_expired(session: gateway.CheckoutSession,
                            event: ProviderEvent | None = None) -> str:
    req = _request_from_metadata(session.metadata)
    if req is None:
        return "unmatched"
    _lock_deal(req.deal_id)
    amount = session.amount_total or req.amount
    entry = _append(req, EntryKind.expired, amount, method=Method.card, provider="stripe",
                    provider_ref=session.id, provider_event=event,
                    dedupe_key=f"stripe:expired:{session.id}", payload=session.raw)
    return "recorded" if entry else "duplicate_fact"


def record_payment_failed(intent: dict, event: ProviderEvent) -> str:
    req = _request_from_metadata(intent.get("metadata") or {})
    if req is None or not intent.get("amount"):
        return "unmatched"
    _lock_deal(req.deal_id)
    error = intent.get("last_payment_error") or {}
    entry = _append(req, EntryKind.failed, intent["amount"],
                    currency=(intent.get("currency") or req.currency), method=Method.card,
                    provider="stripe", provider_ref=intent.get("id"),
                    payment_intent=intent.get("id"), provider_event=event,
                    dedupe_key=f"stripe:failed:{event.event_id}",
                    note=(error.get("message") or error.get("code") or None), payload=intent)
    return "recorded" if entry else "duplicate_fact"


def _request_for_charge(charge: dict) -> PaymentRequest | None:
    intent = charge.get("payment_intent")
    intent = intent.get("id") if isinstance(intent, dict) else intent
    if intent:
        entry = db.session.scalar(sa.select(LedgerEntry).where(
            LedgerEntry.provider_payment_intent == intent,
            LedgerEntry.kind == EntryKind.succeeded))
        if entry is not None:
            return entry.payment_request
    req = _request_from_metadata(charge.get("metadata") or {})
    if req is None and intent:
        # Refunded before we heard it was paid: ask Stripe whose payment this was.
        req = _request_from_metadata(gateway.retrieve_payment_intent_metadata(intent))
    return req


def record_charge_refunded(charge: dict, event: ProviderEvent) -> str:
    """Every refund of the charge not recorded yet (one made by staff here is already)."""
    req = _request_for_charge(charge)
    if req is None:
        return "unmatched"
    _lock_deal(req.deal_id)
    listed = charge.get("refunds") or {}
    if isinstance(listed, dict) and listed.get("data") is not None and not listed.get("has_more"):
        refunds = [gateway.refund_from(item) for item in listed["data"]]
    else:
        refunds = gateway.list_refunds(charge["id"])
    intent = charge.get("payment_intent")
    intent = intent.get("id") if isinstance(intent, dict) else intent
    recorded = 0
    for refund in refunds:
        if refund.status in ("failed", "canceled"):
            continue
        if _record_refund(req, refund, event=event, payment_intent=refund.payment_intent
                          or intent):
            recorded += 1
    return "recorded" if recorded else "duplicate_fact"


def _record_refund(req: PaymentRequest, refund: gateway.Refund, *, event=None,
                   payment_intent=None, actor=None, note=None,
                   related: LedgerEntry | None = None) -> LedgerEntry | None:
    if related is None and payment_intent:
        related = db.session.scalar(sa.select(LedgerEntry).where(
            LedgerEntry.provider_payment_intent == payment_intent,
            LedgerEntry.kind == EntryKind.succeeded))
    metadata = refund.raw.get("metadata") or {}
    return _append(req, EntryKind.refunded, refund.amount, currency=refund.currency or None,
                   method=Method.card, provider="stripe", provider_ref=refund.id,
                   payment_intent=payment_intent, provider_event=event,
                   dedupe_key=f"stripe:refund:{refund.id}", related=related,
                   note=note or metadata.get("reason"), payload=refund.raw, actor=actor,
                   action_nonce=_nonce(metadata.get("action_nonce")))


def _nonce(value) -> str | None:
    """A refund form's nonce as it may be stored (anything else is not one of ours)."""
    return value if isinstance(value, str) and NONCE.fullmatch(value) else None


def refund_already_made(nonce: str) -> LedgerEntry | None:
    """The refund the staff form with this nonce already made (here or seen by webhook)."""
    return db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.action_nonce == nonce))


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


def refund(entry: LedgerEntry, user, amount: int, reason: str, nonce: str) -> LedgerEntry:
    """Staff give back part or all of a card payment through Stripe, with a reason.

    `nonce` identifies the staff action (the form shown once): the same nonce again returns the
    refund it already made, and Stripe gets the same idempotency key for it."""
    _lock_deal(entry.deal_id)
    deal = db.session.get(Deal, entry.deal_id)
    if not deal.is_deal_staff(user):
        raise PermissionDenied(_l("Only the staff assigned to this deal can refund."))
    if _nonce(nonce) is None:
        raise DomainError(_l("The form expired or was sent from elsewhere. Please reload the "
                             "page and try again."))
    done = refund_already_made(nonce)
    if done is not None:
        if done.related_entry_id != entry.id:
            raise Conflict(_l("This form was already used for another payment. Reload the "
                              "page and try again."))
        return done
    if entry.kind != EntryKind.succeeded or not entry.provider_payment_intent:
        raise Conflict(_l("Only a card payment can be refunded here."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say why the money is refunded."),
                          {"reason": [_l("This field is required.")]})
    if len(reason) > MAX_NOTE:
        raise DomainError(_l("The reason is too long."),
                          {"reason": [_l("Use at most %(n)d characters.", n=MAX_NOTE)]})
    if not gateway.available():
        raise Conflict(_l("Card payment is not available at the moment. Please pay by bank "
                          "transfer."))
    card = next(c for c in balance(entry.payment_request).card_payments
                if c.entry.id == entry.id)
    if not isinstance(amount, int) or amount <= 0 or amount > card.refundable:
        raise DomainError(_l("Enter an amount greater than zero and at most what is left to "
                             "refund."), {"amount": [_l("Not a possible refund amount.")]})
    result = gateway.create_refund(
        payment_intent=entry.provider_payment_intent, amount=amount,
        metadata={"payment_request_id": str(entry.payment_request_id),
                  "deal_id": str(entry.deal_id), "ledger_entry_id": str(entry.id),
                  "reason": reason[:500], "action_nonce": nonce},
        idempotency_key=f"tto-refund-{nonce}")
    if result.status in ("failed", "canceled"):
        raise gateway.GatewayError(f"refund {result.id} {result.status}")
    recorded = _record_refund(entry.payment_request, result,
                              payment_intent=entry.provider_payment_intent, actor=user,
                              note=reason, related=entry)
    if recorded is None:  # the webhook was faster; the refund is recorded already
        recorded = db.session.scalar(sa.select(LedgerEntry).where(
            LedgerEntry.dedupe_key == f"stripe:refund:{result.id}"))
    return recorded


# ---- bank transfer ------------------------------------------------------------------------

def declare_transfer(req: PaymentRequest, user, reference: str, value_date: date) -> LedgerEntry:
    """The payer says they sent what the request still owes by bank transfer."""
    _lock_deal(req.deal_id)
    _require_payer(req, user)
    current = _require_payable(req)
    if current.pending_transfers:
        raise Conflict(_l("A bank transfer for this payment is already waiting for "
                          "confirmation."))
    reference = (reference or "").strip()
    if not reference:
        raise DomainError(_l("Give the reference of your transfer."),
                          {"reference": [_l("This field is required.")]})
    if len(reference) > MAX_REFERENCE:
        raise DomainError(_l("The reference is too long."), {"reference": [
            _l("Use at most %(n)d characters.", n=MAX_REFERENCE)]})
    if value_date is None or value_date > local_today() \
            or value_date < req.created_at.date() - timedelta(days=366):
        raise DomainError(_l("Give the date you sent the transfer."),
                          {"value_date": [_l("Enter a date that is not in the future.")]})
    return _append(req, EntryKind.transfer_declared, current.outstanding,
                   method=Method.bank_transfer, reference=reference, value_date=value_date,
                   payload={"reference": reference, "value_date": value_date,
                            "outstanding": current.outstanding}, actor=user)


def _pending_declaration(declared: LedgerEntry, user) -> PaymentRequest:
    """The request of a declared transfer the payee may still answer (with the deal locked)."""
    _lock_deal(declared.deal_id)
    req = declared.payment_request
    _require_payee(req, user)
    if declared.kind != EntryKind.transfer_declared:
        raise NotFound(_l("This payment does not exist."))
    if declared not in balance(req).pending_transfers:
        raise Conflict(_l("This transfer has already been answered."))
    return req


def confirm_transfer(declared: LedgerEntry, user) -> LedgerEntry:
    """The payee confirms that a declared transfer arrived; the deal may now be paid."""
    req = _pending_declaration(declared, user)
    entry = _append(req, EntryKind.transfer_confirmed, declared.amount,
                    method=Method.bank_transfer, reference=declared.reference,
                    value_date=declared.value_date, related=declared,
                    dedupe_key=f"transfer_confirmed:{declared.id}",
                    payload={"declared_entry_id": declared.id,
                             "reference": declared.reference,
                             "value_date": declared.value_date}, actor=user)
    if entry is None:
        raise Conflict(_l("This transfer has already been confirmed."))
    _settle_deal(req.deal_id)
    return entry


def reject_transfer(declared: LedgerEntry, user, note: str = "") -> LedgerEntry:
    """The payee says a declared transfer never arrived: it stops waiting for confirmation, and
    the payer may pay again (by card or by declaring another transfer)."""
    req = _pending_declaration(declared, user)
    note = (note or "").strip()[:MAX_NOTE] or None
    entry = _append(req, EntryKind.transfer_rejected, declared.amount,
                    method=Method.bank_transfer, reference=declared.reference,
                    value_date=declared.value_date, related=declared, note=note,
                    dedupe_key=f"transfer_rejected:{declared.id}",
                    payload={"declared_entry_id": declared.id, "note": note}, actor=user)
    if entry is None:
        raise Conflict(_l("This transfer has already been answered."))
    return entry


def close_deal(deal: Deal, user) -> None:
    _lock_deal(deal.id)
    if deal.state != DealState.paid:
        raise Conflict(_l("A deal can be closed here once it is paid."))
    deal.close(user, {"payments": [b.request.id for b in balances(deal.id)]})


# ---- Stripe events ------------------------------------------------------------------------

HANDLED = ("checkout.session.completed", "checkout.session.async_payment_succeeded",
           "checkout.session.expired", "payment_intent.payment_failed", "charge.refunded")


def handle_event(event: dict) -> str:
    """Record one verified Stripe event. A known event id changes nothing ("duplicate")."""
    event_id = str(event.get("id") or "")
    if not event_id:
        raise DomainError(_l("The event has no id."))
    if db.session.scalar(sa.select(ProviderEvent.id).where(
            ProviderEvent.provider == "stripe", ProviderEvent.event_id == event_id)):
        return "duplicate"
    created = event.get("created")
    row = ProviderEvent(provider="stripe", event_id=event_id, type=str(event.get("type")),
                        livemode=bool(event.get("livemode")), payload=_json(event),
                        created=datetime.fromtimestamp(created, UTC)
                        if isinstance(created, int) else None, outcome="received")
    db.session.add(row)
    db.session.flush()
    obj = (event.get("data") or {}).get("object") or {}
    kind = row.type
    if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        outcome = record_checkout_completed(gateway.session_from(obj), row)
    elif kind == "checkout.session.expired":
        outcome = record_checkout_expired(gateway.session_from(obj), row)
    elif kind == "payment_intent.payment_failed":
        outcome = record_payment_failed(obj, row)
    elif kind == "charge.refunded":
        outcome = record_charge_refunded(obj, row)
    else:
        outcome = "ignored"
    row.outcome = outcome
    db.session.flush()
    return outcome
