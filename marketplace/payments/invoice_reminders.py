"""The daily e-mail to the payee's members about a request paid more than ten days ago with no
tax invoice recorded (`tax_invoices.needs_reminder`); sent once per request, recorded in
`TaxInvoiceReminder`. It names the deal, the reference and the amounts, never an account."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext

from .. import jobs
from ..extensions import db
from ..i18n.dates import show_date
from ..i18n.formatting import money
from ..mail.services import email_in_language
from .ledger import balance, lock_deal
from .models import MONEY_IN, LedgerEntry, PaymentRequest, TaxInvoice, TaxInvoiceReminder
from .tax_invoices import needs_reminder, paid_on


def _link(lang: str, deal_id: int) -> str:
    try:
        return url_for("payments.deal_payments", lang_code=lang, deal_id=deal_id,
                       _external=True)
    except RuntimeError:  # a worker without SERVER_NAME
        return f"/{lang}/payments/deals/{deal_id}"


def _email(req: PaymentRequest, current) -> None:
    day = paid_on(current)

    def reminder(member, lang: str) -> tuple[str, str]:
        return (gettext("Record the tax invoice for payment %(reference)s",
                        reference=req.reference),
                gettext(
                    "Hello %(name)s,\n\nThe payment %(reference)s of %(total)s (supply value "
                    "%(supply)s, VAT %(vat)s) arrived on %(day)s, and no tax invoice has been "
                    "recorded for it yet. Once you have issued the e-tax invoice, record its "
                    "approval number and issue date on the deal's payments page:\n\n%(link)s",
                    name=member.display_name, reference=req.reference,
                    total=money(req.amount, req.currency),
                    supply=money(req.supply_value, req.currency),
                    vat=money(req.vat, req.currency), day=show_date(day),
                    link=_link(lang, req.deal_id)))

    for member in req.payee.members:
        if member.active:
            email_in_language(member, reminder, deal_id=req.deal_id)


@jobs.periodic(24 * 3600)
@jobs.job(queue="default", timeout=300, retries=1)
def remind_missing_tax_invoices() -> int:
    """E-mail the payee of every request that needs a tax invoice reminder and has not had
    one. Idempotent: each request is re-checked under its deal's lock and committed alone."""
    paid = sa.select(LedgerEntry.payment_request_id).where(LedgerEntry.kind.in_(MONEY_IN))
    candidates = db.session.scalars(sa.select(PaymentRequest.id).where(
        PaymentRequest.id.in_(paid),
        ~PaymentRequest.id.in_(sa.select(TaxInvoice.payment_request_id)),
        ~PaymentRequest.id.in_(sa.select(TaxInvoiceReminder.payment_request_id)))
        .order_by(PaymentRequest.id)).all()
    sent = 0
    for req_id in candidates:
        req = db.session.get(PaymentRequest, req_id)
        lock_deal(req.deal_id)
        current = balance(req)
        already = db.session.scalar(sa.select(TaxInvoiceReminder.id).where(
            TaxInvoiceReminder.payment_request_id == req_id))
        if already is not None or not needs_reminder(req, current):
            db.session.rollback()
            continue
        db.session.add(TaxInvoiceReminder(payment_request_id=req_id))
        _email(req, current)
        db.session.commit()
        sent += 1
    return sent
