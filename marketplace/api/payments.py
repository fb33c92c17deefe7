"""Payments in the API, with the pages' rules: a deal's payment requests (the confirmed account
to pay to, for the payer only), a bank transfer declared, confirmed or rejected, an e-tax
invoice recorded; an organisation's settlement account, confirmed by staff.

Everything about a deal is 404 for whoever may not see the deal. Amounts are integers in minor
units; `total = supply_value + vat`."""

from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..deals import services as deal_services
from ..errors import Conflict, NotFound
from ..extensions import db
from ..payments import ledger, settlement, tax_invoices, transfers
from .auth import api_organisation, api_user, token_required
from .paging import page_in, page_schema, paged
from .routes import endpoint
from .schemas import FILLED, text

blp = Blueprint("api_payments", __name__, url_prefix="/api/v1/deals",
                description="Payments of signed deals.")
actions_blp = Blueprint("api_payment_actions", __name__, url_prefix="/api/v1/payments",
                        description="Answering one payment request.")
accounts_blp = Blueprint("api_settlement", __name__, url_prefix="/api/v1/organisations",
                         description="Where an organisation is paid.")


class PayToSchema(Schema):
    bank_code = fields.String(required=True)
    bank = fields.String(required=True)
    account_number = fields.String(required=True)
    holder = fields.String(required=True)


class PaymentRequestSchema(Schema):
    id = fields.Integer(required=True)
    deal_id = fields.Integer(required=True)
    label = fields.String(required=True)
    terms_version = fields.Integer(required=True)
    seq = fields.Integer(required=True)
    count = fields.Integer(required=True)
    purpose = fields.String(required=True)
    currency = fields.String(required=True)
    supply_value = fields.Integer(required=True, metadata={"description": "minor units"})
    vat = fields.Integer(required=True, metadata={"description": "minor units"})
    total = fields.Integer(required=True, metadata={"description": "supply_value + vat"})
    amount = fields.Integer(required=True, metadata={"description": "the total (minor units)"})
    due = fields.Date(required=True)
    due_date = fields.Date(required=True)
    fee_percent = fields.Decimal(required=True, as_string=True)
    fee_amount = fields.Integer(required=True, metadata={
        "description": "the platform's share, included in `amount` (minor units)"})
    paid = fields.Integer(required=True, metadata={"description": "received minus refunded"})
    paid_total = fields.Integer(required=True, metadata={"description": "received minus "
                                                                        "refunded"})
    refunded = fields.Integer(required=True)
    outstanding = fields.Integer(required=True)
    settled = fields.Boolean(required=True)
    status = fields.String(required=True, metadata={
        "description": "awaiting | overdue | part_paid | transfer_declared | paid | "
                       "refunded_part | refunded"})
    reference = fields.String(required=True, metadata={
        "description": "what to write on a bank transfer"})
    pay_to = fields.Nested(PayToSchema, metadata={
        "description": "the payee's confirmed account: for the payer of an open request only"})
    pay_to_message = fields.String(metadata={
        "description": "why there is no `pay_to` for the payer of an open request"})
    tax_invoice = fields.Dict(allow_none=True, metadata={
        "description": "{approval_no, issued_on} once the payee recorded it"})


PaymentPageSchema = page_schema(PaymentRequestSchema, "PaymentRequestPage")
NO_ACCOUNT = _l("The receiving side has no settlement account confirmed by staff yet, so "
                "there is nowhere to transfer to.")


def _account(account) -> dict:
    return {"bank_code": account.bank_code, "bank": account.bank(), "holder": account.holder,
            "account_number": account.account_number}


def _row(b: ledger.Balance, user) -> dict:
    r = b.request
    row = {"id": r.id, "deal_id": r.deal_id, "label": str(r.purpose_label),
           "terms_version": r.terms_version, "seq": r.seq, "count": r.count,
           "purpose": r.purpose.value, "currency": r.currency, "supply_value": r.supply_value,
           "vat": r.vat, "total": r.amount, "amount": r.amount, "due": r.due_date,
           "due_date": r.due_date, "fee_percent": r.fee_percent, "fee_amount": r.fee_amount,
           "paid": b.paid, "paid_total": b.paid, "refunded": b.refunded,
           "outstanding": b.outstanding, "settled": b.settled, "status": b.status,
           "reference": r.reference, "tax_invoice": None}
    pay_to = transfers.pay_to(r, user, b)
    if pay_to is not None:
        row["pay_to"] = _account(pay_to)
    elif r.deal.side_of(user) is not None and r.deal.side_of(user).value == "buyer" \
            and not b.settled:
        row["pay_to_message"] = str(NO_ACCOUNT)
    invoice = tax_invoices.invoice_of(r)
    if invoice is not None:
        row["tax_invoice"] = {"approval_no": tax_invoices.formatted(invoice.approval_no),
                              "issued_on": invoice.issued_on.isoformat()}
    return row


@blp.route("/<int:deal_id>/payments")
@paged(blp, PaymentPageSchema)
@token_required
def list_payments(query, deal_id):
    """The deal's payment requests, in order, with amounts in minor units."""
    user = api_user()
    deal = deal_services.deal_for_viewer_or_404(deal_id, user)
    return page_in(query, [_row(b, user) for b in ledger.balances(deal.id)])


# ---- answering one request ----------------------------------------------------------------

class TransferSchema(Schema):
    reference = text(required=True, pattern=FILLED, max_length=ledger.MAX_REFERENCE)
    paid_on = fields.Date(required=True, metadata={"description": "the day it was sent"})


class RejectSchema(Schema):
    note = text(max_length=ledger.MAX_NOTE)


class TaxInvoiceSchema(Schema):
    approval_no = fields.String(required=True, validate=validate.Regexp(
        r"^\d{8}-?\d{8}-?\d{8}$"), metadata={
        "description": "the NTS approval number, 24 digits (8-8-8 with hyphens allowed)"})
    issued_on = fields.Date(required=True)


def _request_action(request_id: int, action) -> dict:
    """Run `action(request, user)` on a request the caller may see, commit, and answer with
    the request as it is now."""
    req = ledger.request_for_viewer_or_404(request_id, api_user())
    action(req, api_user())
    db.session.commit()
    return _row(ledger.balance(db.session.get(type(req), req.id)), api_user())


@endpoint(actions_blp, "/<int:request_id>/transfer", PaymentRequestSchema,
          body=TransferSchema, methods=["POST"])
def declare_transfer(data, request_id):
    """The payer says it sent what the request still owes by bank transfer."""
    return _request_action(request_id, lambda req, user: transfers.declare_transfer(
        req, user, data["reference"], data["paid_on"]))


def _answer_pending(request_id: int, answer):
    """The payee answers the transfer declared on the request (409 when none waits)."""
    def action(req, user):
        ledger.require_payee(req, user)
        pending = ledger.balance(req).pending_transfers
        if not pending:
            raise Conflict(_l("No bank transfer is waiting for confirmation on this payment."))
        answer(pending[0], user)

    return _request_action(request_id, action)


@endpoint(actions_blp, "/<int:request_id>/confirm", PaymentRequestSchema, methods=["POST"])
def confirm_transfer(request_id):
    """The payee confirms that the declared transfer arrived."""
    return _answer_pending(request_id, transfers.confirm_transfer)


@endpoint(actions_blp, "/<int:request_id>/reject", PaymentRequestSchema,
          body=RejectSchema, methods=["POST"])
def reject_transfer(data, request_id):
    """The payee says the declared transfer never arrived; the payer may pay again."""
    return _answer_pending(request_id, lambda declared, user: transfers.reject_transfer(
        declared, user, data.get("note") or ""))


@endpoint(actions_blp, "/<int:request_id>/tax-invoice", PaymentRequestSchema,
          body=TaxInvoiceSchema, methods=["POST"])
def record_tax_invoice(data, request_id):
    """The payee records the e-tax invoice it issued for a paid request."""
    return _request_action(request_id, lambda req, user: tax_invoices.record(
        req, user, data["approval_no"], data["issued_on"]))


# ---- settlement accounts ------------------------------------------------------------------

class AccountSchema(PayToSchema):
    confirmed_at = fields.DateTime(allow_none=True, required=True)
    changed_at = fields.DateTime(required=True)


class AccountInSchema(Schema):
    bank_code = fields.String(required=True, validate=validate.OneOf(
        [code for code, _ko, _en in settlement.BANKS]))
    account_number = fields.String(required=True, validate=validate.Regexp(
        r"^[ -]*(\d[ -]*){10,16}$"), metadata={
        "description": "10 to 16 digits; hyphens and spaces allowed"})
    holder = text(required=True, pattern=FILLED, max_length=settlement.MAX_HOLDER)


def _own_account(account) -> dict:
    return {**_account(account), "account_number": account.masked_number,
            "confirmed_at": account.confirmed_at, "changed_at": account.changed_at}


def _own_org():
    return api_organisation(NotFound, _l("This organisation has no settlement account."))


@endpoint(accounts_blp, "/me/settlement-account", AccountSchema)
def get_account():
    """The token owner's organisation's account (the number masked, as on every page)."""
    account = settlement.account_of(_own_org().id)
    if account is None:
        raise NotFound(_l("This organisation has no settlement account."))
    return _own_account(account)


@endpoint(accounts_blp, "/me/settlement-account", AccountSchema,
          body=AccountInSchema, methods=["PUT"])
def put_account(data):
    """Enter or change the account; a change waits for staff to confirm it again."""
    account = settlement.save(_own_org(), api_user(), data["bank_code"],
                              data["account_number"], data["holder"])
    db.session.commit()
    return _own_account(account)


@endpoint(accounts_blp, "/<int:org_id>/settlement-account/confirm", AccountSchema,
          methods=["POST"])
def confirm_account(org_id):
    """Staff confirm the account as it is now (404 for everyone else)."""
    account = settlement.confirm(org_id, api_user())
    db.session.commit()
    return _own_account(account)
