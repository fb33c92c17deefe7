"""Refunds of card payments: made by staff through Stripe, or seen in Stripe's `charge.refunded`
events (a refund made in Stripe's dashboard, or ours heard again)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..deals.models import Deal
from ..errors import Conflict, DomainError, PermissionDenied, checked_text
from ..extensions import db
from . import stripe_gateway as gateway
from .card import request_from_metadata
from .ledger import MAX_NOTE, append, balance, follow_refunds, lock_deal
from .models import EntryKind, LedgerEntry, Method, PaymentRequest, ProviderEvent

#: A staff form's one-time nonce (`secrets.token_urlsafe`).
NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _request_for_charge(charge: dict) -> PaymentRequest | None:
    intent = charge.get("payment_intent")
    intent = intent.get("id") if isinstance(intent, dict) else intent
    if intent:
        entry = db.session.scalar(sa.select(LedgerEntry).where(
            LedgerEntry.provider_payment_intent == intent,
            LedgerEntry.kind == EntryKind.succeeded))
        if entry is not None:
            return entry.payment_request
    req = request_from_metadata(charge.get("metadata") or {})
    if req is None and intent:
        # Refunded before we heard it was paid: ask Stripe whose payment this was.
        req = request_from_metadata(gateway.retrieve_payment_intent_metadata(intent))
    return req


def record_charge_refunded(charge: dict, event: ProviderEvent) -> str:
    """Every refund of the charge not recorded yet (one made by staff here is already)."""
    req = _request_for_charge(charge)
    if req is None:
        return "unmatched"
    listed = charge.get("refunds") or {}
    if isinstance(listed, dict) and listed.get("data") is not None and not listed.get("has_more"):
        refunds = [gateway.refund_from(item) for item in listed["data"]]
    else:
        refunds = gateway.list_refunds(charge["id"])  # before the lock: no lock during a call
    lock_deal(req.deal_id)
    intent = charge.get("payment_intent")
    intent = intent.get("id") if isinstance(intent, dict) else intent
    recorded = 0
    for refund in refunds:
        if refund.status in ("failed", "canceled"):
            continue
        if _record_refund(req, refund, event=event, payment_intent=refund.payment_intent
                          or intent):
            recorded += 1
    if recorded:
        follow_refunds(req.deal_id)
    return "recorded" if recorded else "duplicate_fact"


def _record_refund(req: PaymentRequest, refund: gateway.Refund, *, event=None,
                   payment_intent=None, actor=None, note=None,
                   related: LedgerEntry | None = None) -> LedgerEntry | None:
    if related is None and payment_intent:
        related = db.session.scalar(sa.select(LedgerEntry).where(
            LedgerEntry.provider_payment_intent == payment_intent,
            LedgerEntry.kind == EntryKind.succeeded))
    metadata = refund.raw.get("metadata") or {}
    return append(req, EntryKind.refunded, refund.amount, currency=refund.currency or None,
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


def refund(entry: LedgerEntry, user, amount: int, reason: str, nonce: str) -> LedgerEntry:
    """Staff give back part or all of a card payment through Stripe, with a reason.

    `nonce` identifies the staff action (the form shown once): the same nonce again returns the
    refund it already made, and Stripe gets the same idempotency key for it. No row lock is
    held while Stripe is called: the checks read without it (Stripe itself refuses more than
    is left of the charge), and the deal's lock is taken only to record what Stripe answered."""
    deal = db.session.get(Deal, entry.deal_id)
    if not deal.is_deal_staff(user):
        raise PermissionDenied(_l("Only the staff assigned to this deal can refund."))
    if _nonce(nonce) is None:
        raise DomainError(_l("The form expired or was sent from elsewhere. Please reload the "
                             "page and try again."))
    done = _made_with(nonce, entry)
    if done is not None:
        return done
    by_transfer = entry.kind == EntryKind.transfer_confirmed
    if not by_transfer and (entry.kind != EntryKind.succeeded
                            or not entry.provider_payment_intent):
        raise Conflict(_l("Only a card payment can be refunded here."))
    reason = checked_text(reason, "reason", MAX_NOTE, missing=_l("Say why the money is refunded."),
                          too_long=_l("The reason is too long."))
    if by_transfer:
        return _record_transfer_refund(entry, user, amount, reason, nonce)
    if not gateway.available():
        raise Conflict(_l("Card payment is not available at the moment. Please pay by bank "
                          "transfer."))
    card = next(c for c in balance(entry.payment_request).card_payments
                if c.entry.id == entry.id)
    _check_amount(amount, card.refundable)
    result = gateway.create_refund(
        payment_intent=entry.provider_payment_intent, amount=amount,
        metadata={"payment_request_id": str(entry.payment_request_id),
                  "deal_id": str(entry.deal_id), "ledger_entry_id": str(entry.id),
                  "reason": reason[:500], "action_nonce": nonce},
        idempotency_key=f"tto-refund-{nonce}")
    if result.status in ("failed", "canceled"):
        raise gateway.GatewayError(f"refund {result.id} {result.status}")
    lock_deal(entry.deal_id)
    done = _made_with(nonce, entry)  # the same form sent twice: the first one recorded it
    if done is not None:
        return done
    recorded = _record_refund(entry.payment_request, result,
                              payment_intent=entry.provider_payment_intent, actor=user,
                              note=reason, related=entry)
    if recorded is None:  # the webhook was faster; the refund is recorded already
        recorded = db.session.scalar(sa.select(LedgerEntry).where(
            LedgerEntry.dedupe_key == f"stripe:refund:{result.id}"))
    follow_refunds(entry.deal_id)
    return recorded


def _made_with(nonce: str, entry: LedgerEntry) -> LedgerEntry | None:
    done = refund_already_made(nonce)
    if done is not None and done.related_entry_id != entry.id:
        raise Conflict(_l("This form was already used for another payment. Reload the page and "
                          "try again."))
    return done


def record_refund_updated(data: dict, event: ProviderEvent) -> str:
    """`charge.refund.updated`: a refund that failed or was cancelled after we recorded it is
    undone in the ledger (the payee keeps the money); one we had not heard of yet is recorded
    as `charge.refunded` would."""
    refund = gateway.refund_from(data)
    recorded = db.session.scalar(sa.select(LedgerEntry).where(
        LedgerEntry.dedupe_key == f"stripe:refund:{refund.id}"))
    if refund.status in ("failed", "canceled"):
        if recorded is None:
            return "ignored"  # never counted: nothing to undo
        lock_deal(recorded.deal_id)
        entry = append(recorded.payment_request, EntryKind.refund_failed, recorded.amount,
                       currency=recorded.currency, method=Method.card, provider="stripe",
                       provider_ref=refund.id,
                       payment_intent=recorded.provider_payment_intent, provider_event=event,
                       dedupe_key=f"stripe:refund_failed:{refund.id}", related=recorded,
                       note=data.get("failure_reason") or refund.status, payload=data)
        if entry is None:
            return "duplicate_fact"
        follow_refunds(recorded.deal_id)
        return "recorded"
    if recorded is not None:
        return "duplicate_fact"
    req = _request_for_charge({"payment_intent": refund.payment_intent,
                               "metadata": data.get("metadata") or {}})
    if req is None:
        return "unmatched"
    lock_deal(req.deal_id)
    entry = _record_refund(req, refund, event=event, payment_intent=refund.payment_intent)
    if entry is None:
        return "duplicate_fact"
    follow_refunds(req.deal_id)
    return "recorded"


def _check_amount(amount, refundable: int) -> None:
    if not isinstance(amount, int) or amount <= 0 or amount > refundable:
        raise DomainError(_l("Enter an amount greater than zero and at most what is left to "
                             "refund."), {"amount": [_l("Not a possible refund amount.")]})


def _record_transfer_refund(entry: LedgerEntry, user, amount: int, reason: str,
                            nonce: str) -> LedgerEntry:
    """Money of a confirmed bank transfer given back by bank transfer, as staff record it (no
    provider is called: the transfer back is made outside the platform)."""
    lock_deal(entry.deal_id)
    done = _made_with(nonce, entry)
    if done is not None:
        return done
    paid = next(p for p in balance(entry.payment_request).transfer_payments
                if p.entry.id == entry.id)
    _check_amount(amount, paid.refundable)
    recorded = append(entry.payment_request, EntryKind.refunded, amount,
                      method=Method.bank_transfer, related=entry, note=reason,
                      reference=entry.reference, action_nonce=nonce, actor=user,
                      payload={"refunded_entry_id": entry.id, "reason": reason})
    follow_refunds(entry.deal_id)
    return recorded
