"""A request paid more than ten days ago with no tax invoice recorded: the daily job e-mails the
payee's members once, each in their language, without the account number."""

from datetime import date, timedelta

import sqlalchemy as sa

from marketplace import jobs
from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.mail.models import OutboxMessage
from marketplace.payments import invoice_reminders, ledger
from marketplace.payments.models import PaymentRequest, TaxInvoiceReminder
from tests.conftest import login
from tests.deals.conftest import LICENSE

from .conftest import sign_deal
from .test_api import bearer
from .test_settlement import DIGITS, NUMBER, confirm_account, enter_account
from .test_tax_invoices import APPROVAL


def paid(app, parties, days_ago: int) -> int:
    """A licence deal with VAT whose request the buyer paid `days_ago` days ago (by its value
    date), confirmed by the seller; the request's id."""
    with app.test_request_context():
        deal_id = sign_deal(parties, {**LICENSE, "vat": "standard"})
        [req] = ledger.requests_of(deal_id)
        req_id, reference = req.id, req.reference
        buyer, seller = bearer(parties["buyer"]), bearer(parties["seller"])
    client = app.test_client()
    assert client.post(f"/api/v1/payments/{req_id}/transfer", headers=buyer, json={
        "reference": reference,
        "paid_on": (date.today() - timedelta(days=days_ago)).isoformat()}).status_code == 200
    assert client.post(f"/api/v1/payments/{req_id}/confirm", headers=seller).status_code == 200
    return req_id


def reminders(app, reference: str) -> list[OutboxMessage]:
    with app.app_context():
        return [m for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
                if reference in m.subject]


def test_eleven_days_without_an_invoice_e_mails_the_payees_members_once(
        app, parties, make_user, runner):
    colleague = make_user(kind="startup", lang="ko", email="accounts@example.com")
    with app.app_context():
        db.session.get(User, colleague.id).organisation_id = parties["seller"].organisation_id
        db.session.commit()
    client = app.test_client()
    assert enter_account(client, parties["seller"]).status_code == 303
    assert confirm_account(app, client, parties["staff"],
                           parties["seller"].organisation_id).status_code == 303
    late = paid(app, parties, days_ago=11)
    with app.app_context():
        reference = db.session.get(PaymentRequest, late).reference

    for _ in range(2):  # the job runs twice: still one e-mail per member
        result = runner.invoke(args=["jobs", "run-periodic"])
        assert f"ran {invoice_reminders.remind_missing_tax_invoices.job_spec.name}" \
            in result.output
    mails = reminders(app, reference)
    assert sorted(m.recipient for m in mails) == sorted([parties["seller"].email,
                                                         "accounts@example.com"])
    english = next(m for m in mails if m.recipient == parties["seller"].email)  # reads English
    korean = next(m for m in mails if m.recipient == "accounts@example.com")
    assert korean.subject == f"결제 {reference}의 세금계산서를 등록해 주세요"
    assert "₩55,000,000" in korean.body and "부가가치세 ₩5,000,000" in korean.body
    assert "/ko/payments/deals/" in korean.body
    assert english.subject == f"Record the tax invoice for payment {reference}"
    assert "supply value ₩50,000,000, VAT ₩5,000,000" in english.body
    for mail in mails:
        assert NUMBER not in mail.body and DIGITS not in mail.body and "567890" not in mail.body
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TaxInvoiceReminder)) == 1


def _run_job(app) -> int:
    with app.app_context():
        return jobs.execute(invoice_reminders.remind_missing_tax_invoices.job_spec.name, [], {})


def test_no_reminder_nine_days_after_the_payment(app, parties):
    recent = paid(app, parties, days_ago=9)
    assert _run_job(app) == 0
    with app.app_context():
        reference = db.session.get(PaymentRequest, recent).reference
    assert reminders(app, reference) == []


def test_no_reminder_once_the_invoice_is_recorded(app, parties):
    invoiced = paid(app, parties, days_ago=11)
    seller = app.test_client()
    login(seller, parties["seller"], lang="ko")
    assert seller.post(f"/ko/payments/requests/{invoiced}/tax-invoice", data={
        f"i{invoiced}-approval_no": APPROVAL,
        f"i{invoiced}-issued_on": date.today().isoformat()}).status_code == 303
    assert _run_job(app) == 0
    with app.app_context():
        reference = db.session.get(PaymentRequest, invoiced).reference
    assert reminders(app, reference) == []


def test_the_reminder_job_is_daily():
    spec = invoice_reminders.remind_missing_tax_invoices.job_spec
    assert (spec.name, 24 * 3600) in jobs.PERIODIC
