"""E-tax invoices (전자세금계산서) for payments received: the payee issues one through its own
e-tax system (홈택스 or its ERP) and records here the National Tax Service approval number and
the issue date. The page gives the payee what the NTS form asks for, ready to copy.

A request paid more than `REMINDER_DAYS` days ago without a recorded invoice reminds the payee:
the law wants the invoice by the 10th of the month after the supply (부가가치세법 제34조).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..errors import Conflict, DomainError
from ..extensions import db
from .ledger import Balance, balance, lock_deal, require_payee
from .models import PaymentRequest, TaxInvoice
from .plan import local_today

REMINDER_DAYS = 10
#: The NTS approval number: 24 digits, written 8-8-8 (the first eight are a date).
APPROVAL = re.compile(r"(\d{8})-?(\d{8})-?(\d{8})")


def invoice_of(req: PaymentRequest) -> TaxInvoice | None:
    return db.session.scalar(sa.select(TaxInvoice).where(
        TaxInvoice.payment_request_id == req.id))


def paid_on(current: Balance) -> date | None:
    """The day the first money for the request arrived (its value date for a transfer)."""
    if not current.settlements:
        return None
    first = current.settlements[0]
    return first.value_date or first.created_at.date()


def needs_reminder(req: PaymentRequest, current: Balance, today: date | None = None) -> bool:
    day = paid_on(current)
    return (day is not None and invoice_of(req) is None
            and (today or local_today()) - day > timedelta(days=REMINDER_DAYS))


def _clean_approval(value) -> str:
    match = APPROVAL.fullmatch((value or "").strip()) if isinstance(value, str) else None
    if match is None:
        raise DomainError(_l("Check the tax invoice."), {"approval_no": [
            _l("Enter the 24-digit approval number, e.g. 20261130-41000000-12345678.")]})
    return "".join(match.groups())


def record(req: PaymentRequest, user, approval_no, issued_on: date | None) -> TaxInvoice:
    """The payee records the e-tax invoice it issued for a request that has been paid."""
    lock_deal(req.deal_id)
    require_payee(req, user)
    number = _clean_approval(approval_no)
    if not isinstance(issued_on, date) or issued_on > local_today():
        raise DomainError(_l("Check the tax invoice."), {"issued_on": [
            _l("Enter a date that is not in the future.")]})
    if paid_on(balance(req)) is None:
        raise Conflict(_l("A tax invoice is recorded once the payment has arrived."))
    if invoice_of(req) is not None:
        raise Conflict(_l("A tax invoice is already recorded for this payment."))
    if db.session.scalar(sa.select(TaxInvoice.id).where(TaxInvoice.approval_no == number)):
        raise Conflict(_l("This approval number is already recorded for another payment."))
    invoice = TaxInvoice(payment_request_id=req.id, approval_no=number, issued_on=issued_on,
                         recorded_by_id=user.id)
    db.session.add(invoice)
    db.session.flush()
    return invoice


def formatted(number: str) -> str:
    return f"{number[:8]}-{number[8:16]}-{number[16:]}"


@dataclass
class NtsFields:
    """What the NTS e-tax invoice form asks for, supplier (the payee) and buyer (the payer)."""
    supplier_no: str
    supplier_name: str
    supplier_representative: str
    supplier_address: str
    supplier_business_type: str
    supplier_business_item: str
    buyer_no: str
    buyer_name: str
    buyer_representative: str
    buyer_address: str
    buyer_business_type: str
    buyer_business_item: str
    supply_value: int
    vat: int
    written_on: date | None


def brn(value: str | None) -> str:
    """A business registration number written 123-45-67890."""
    digits = value or ""
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}" if len(digits) == 10 else digits


def nts_fields(req: PaymentRequest, current: Balance | None = None) -> NtsFields:
    """The invoice as the NTS form wants it, in Korean where the organisation gave Korean."""
    current = current or balance(req)
    seller, buyer = req.payee, req.payer
    return NtsFields(
        brn(seller.business_registration_no), seller.name_ko or seller.name_en or "",
        seller.representative_ko or seller.representative_en or "",
        seller.address_ko or seller.address_en or "", seller.business_type or "",
        seller.business_item or "",
        brn(buyer.business_registration_no), buyer.name_ko or buyer.name_en or "",
        buyer.representative_ko or buyer.representative_en or "",
        buyer.address_ko or buyer.address_en or "", buyer.business_type or "",
        buyer.business_item or "",
        req.supply_value, req.vat, paid_on(current))
