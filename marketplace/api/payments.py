"""/api/v1/deals/{id}/payments: a deal's payment requests with what each still owes, for the
deal's parties and assigned staff (404 for everybody else). Read-only: paying happens on the
pages (Stripe Checkout) and through Stripe's webhooks."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..deals import services as deal_services
from ..payments import ledger
from .auth import api_user, token_required
from .schemas import PageQuerySchema, page_schema

SECURITY = [{"bearer": []}]

blp = Blueprint("api_payments", __name__, url_prefix="/api/v1/deals",
                description="Payments of signed deals.")


class PaymentRequestSchema(Schema):
    id = fields.Integer(required=True)
    deal_id = fields.Integer(required=True)
    terms_version = fields.Integer(required=True)
    seq = fields.Integer(required=True)
    count = fields.Integer(required=True)
    purpose = fields.String(required=True)
    amount = fields.Integer(required=True, metadata={"description": "minor units"})
    currency = fields.String(required=True)
    due_date = fields.Date(required=True)
    fee_percent = fields.Decimal(required=True, as_string=True)
    fee_amount = fields.Integer(required=True, metadata={
        "description": "the platform's share, included in `amount` (minor units)"})
    paid = fields.Integer(required=True, metadata={"description": "received minus refunded"})
    refunded = fields.Integer(required=True)
    outstanding = fields.Integer(required=True)
    settled = fields.Boolean(required=True)
    status = fields.String(required=True, metadata={
        "description": "awaiting | overdue | part_paid | transfer_declared | paid | "
                       "refunded_part | refunded"})
    reference = fields.String(required=True, metadata={
        "description": "what to write on a bank transfer"})


PaymentPageSchema = page_schema(PaymentRequestSchema, "PaymentRequestPage")


def _row(b: ledger.Balance) -> dict:
    r = b.request
    return {"id": r.id, "deal_id": r.deal_id, "terms_version": r.terms_version, "seq": r.seq,
            "count": r.count, "purpose": r.purpose.value, "amount": r.amount,
            "currency": r.currency, "due_date": r.due_date, "fee_percent": r.fee_percent,
            "fee_amount": r.fee_amount, "paid": b.paid, "refunded": b.refunded,
            "outstanding": b.outstanding, "settled": b.settled, "status": b.status,
            "reference": r.reference}


@blp.route("/<int:deal_id>/payments")
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, PaymentPageSchema)
@blp.doc(security=SECURITY)
@token_required
def list_payments(query, deal_id):
    """The deal's payment requests, in order, with amounts in minor units."""
    deal = deal_services.deal_for_viewer_or_404(deal_id, api_user())
    rows = [_row(b) for b in ledger.balances(deal.id)]
    start = (query["page"] - 1) * query["per_page"]
    return {"items": rows[start:start + query["per_page"]], "page": query["page"],
            "per_page": query["per_page"], "total": len(rows)}
