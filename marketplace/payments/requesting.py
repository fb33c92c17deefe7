"""Payment requests made from the signed Terms, once a deal is signed: directly (idempotent) or
by the job the `mark_signed` hook below enqueues."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .. import domain_events, jobs
from ..agreements.access import signed_contract
from ..deals.models import SYSTEM, Deal, DealState, Side
from ..errors import Conflict
from ..extensions import db
from .ledger import append, lock_deal, requests_of
from .models import EntryKind, PaymentRequest
from .plan import fee_for, fee_percent, local_today, plan, vat_for


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


def create_payment_requests(deal: Deal, actor=SYSTEM) -> list[PaymentRequest]:
    """Turn the signed Terms version's schedule into payment requests and move the deal to
    payment_pending. Idempotent: a deal that already has its requests gets them back, and one
    that has moved on is left alone. Terms that ask for no money create nothing and leave the
    deal `signed` (its parties close it)."""
    deal = lock_deal(deal.id)
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
    treatment = terms.fields.get("vat")
    for item in items:
        vat = vat_for(item["amount"], treatment)
        req = PaymentRequest(
            deal_id=deal.id, terms_version=version, seq=item["seq"], count=item["count"],
            purpose=item["purpose"], supply_value=item["amount"], vat=vat,
            amount=item["amount"] + vat, currency=terms.currency,
            fee_percent=percent, fee_amount=fee_for(item["amount"], percent),
            due_date=item["due"], payer_org_id=deal.buyer_org_id,
            payee_org_id=deal.seller_org_id)
        db.session.add(req)
        created.append(req)
    db.session.flush()
    for req in created:
        append(req, EntryKind.requested, req.amount, dedupe_key=f"requested:{req.id}",
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
