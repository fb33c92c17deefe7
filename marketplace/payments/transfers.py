"""Bank transfers: the payer declares one, the payee confirms it arrived or says it never did."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from ..deals.models import Side
from ..errors import Conflict, DomainError, NotFound
from .ledger import (
    MAX_NOTE,
    MAX_REFERENCE,
    Balance,
    append,
    balance,
    lock_deal,
    require_payable,
    require_payee,
    require_payer,
    settle_deal,
)
from .models import EntryKind, LedgerEntry, Method, PaymentRequest
from .plan import local_today
from .settlement import SettlementAccount, account_of


def declare_transfer(req: PaymentRequest, user, reference: str, value_date: date) -> LedgerEntry:
    """The payer says they sent what the request still owes by bank transfer."""
    lock_deal(req.deal_id)
    require_payer(req, user)
    current = require_payable(req)
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
    return append(req, EntryKind.transfer_declared, current.outstanding,
                  method=Method.bank_transfer, reference=reference, value_date=value_date,
                  payload={"reference": reference, "value_date": value_date,
                            "outstanding": current.outstanding}, actor=user)


def _pending_declaration(declared: LedgerEntry, user) -> PaymentRequest:
    """The request of a declared transfer the payee may still answer (with the deal locked)."""
    lock_deal(declared.deal_id)
    req = declared.payment_request
    require_payee(req, user)
    if declared.kind != EntryKind.transfer_declared:
        raise NotFound(_l("This payment does not exist."))
    if declared not in balance(req).pending_transfers:
        raise Conflict(_l("This transfer has already been answered."))
    return req


def confirm_transfer(declared: LedgerEntry, user) -> LedgerEntry:
    """The payee confirms that a declared transfer arrived; the deal may now be paid."""
    req = _pending_declaration(declared, user)
    entry = append(req, EntryKind.transfer_confirmed, declared.amount,
                   method=Method.bank_transfer, reference=declared.reference,
                   value_date=declared.value_date, related=declared,
                   dedupe_key=f"transfer_confirmed:{declared.id}",
                   payload={"declared_entry_id": declared.id,
                             "reference": declared.reference,
                             "value_date": declared.value_date}, actor=user)
    if entry is None:
        raise Conflict(_l("This transfer has already been confirmed."))
    settle_deal(req.deal_id)
    return entry


def reject_transfer(declared: LedgerEntry, user, note: str = "") -> LedgerEntry:
    """The payee says a declared transfer never arrived: it stops waiting for confirmation, and
    the payer may pay again (by card or by declaring another transfer)."""
    req = _pending_declaration(declared, user)
    note = (note or "").strip()[:MAX_NOTE] or None
    entry = append(req, EntryKind.transfer_rejected, declared.amount,
                   method=Method.bank_transfer, reference=declared.reference,
                   value_date=declared.value_date, related=declared, note=note,
                   dedupe_key=f"transfer_rejected:{declared.id}",
                   payload={"declared_entry_id": declared.id, "note": note}, actor=user)
    if entry is None:
        raise Conflict(_l("This transfer has already been answered."))
    return entry


def pay_to(req: PaymentRequest, user, current: Balance | None = None) -> SettlementAccount | None:
    """The payee's confirmed settlement account, in full, for the payer while the request still
    owes money; None for anyone else, once paid, or while no confirmed account exists."""
    if req.deal.side_of(user) != Side.buyer:
        return None
    current = current or balance(req)
    if current.settled:
        return None
    account = account_of(req.payee_org_id)
    return account if account is not None and account.confirmed else None
