"""Payment pages. Thin: parse the input, call the services, commit once here. A Stripe call
happens inside the service before anything is written for it; if it fails, the transaction is
rolled back and the page says so."""

import logging
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import audit, security
from ..actions import done, run_action
from ..deals import services as deal_services
from ..deals.models import DealState, Side
from ..errors import NotFound
from ..extensions import db
from ..i18n.amounts import AmountError, parse_amount
from ..i18n.formatting import minor_to_major
from . import card, ledger, receipts, refunds, settlement, tax_invoices, transfers
from . import stripe_gateway as gateway
from .forms import ActionForm, RefundForm, RejectTransferForm, TaxInvoiceForm, TransferForm
from .models import MONEY_IN, EntryKind

log = logging.getLogger(__name__)

bp = Blueprint("payments", __name__, template_folder="templates",
               url_prefix="/<lang:lang_code>/payments")

FORM_EXPIRED = _l("The form expired or was sent from elsewhere. Please reload the page and try "
                  "again.")
GATEWAY_FAILED = _l("The card payment service could not be reached. Nothing was charged; "
                    "please try again in a moment.")


@bp.after_request
def _allow_checkout_host(response):
    """Pages with a pay button may post to a form that redirects to the hosted Checkout page.
    Stripe's is allowed by the site-wide policy; with `STRIPE_API_BASE` set (a local stand-in
    for Stripe that also serves the checkout page), that origin is allowed too."""
    base = current_app.config["STRIPE_API_BASE"]
    if base and request.method == "GET":
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
        policy = response.headers.get("Content-Security-Policy") or security.CSP
        response.headers["Content-Security-Policy"] = policy.replace(
            "form-action 'self'", f"form-action 'self' {origin}", 1)
    return response


def _lang() -> str:
    return g.get("lang_code") or "ko"


def _deal_url(deal_id: int, anchor: str | None = None) -> str:
    return url_for("payments.deal_payments", deal_id=deal_id, _anchor=anchor)


def _render(deal_id: int, error=None, forms: dict | None = None):
    deal = deal_services.deal_for_viewer_or_404(deal_id, current_user)
    side = deal.side_of(current_user)
    rows = ledger.balances(deal.id)
    forms = forms or {}
    return render_template(
        "payments/deal.html", deal=deal, rows=rows, ledger=ledger.ledger_of(deal.id),
        viewer_side=side, is_payer=side == Side.buyer, is_payee=side == Side.seller,
        is_staff=deal.is_deal_staff(current_user), error=error,
        action_form=ActionForm(), status_labels=ledger.Status.labels(),
        card_reason={b.request.id: card.card_unavailable_reason(b.request, b)
                     for b in rows},
        transfer_forms={b.request.id: forms.get(("transfer", b.request.id))
                        or TransferForm(prefix=f"t{b.request.id}", reference=b.request.reference)
                        for b in rows},
        accounts={b.request.id: settlement.account_of(b.request.payee_org_id) for b in rows},
        pay_to={b.request.id: transfers.pay_to(b.request, current_user, b) for b in rows},
        lang=_lang(),
        invoices={b.request.id: tax_invoices.invoice_of(b.request) for b in rows},
        nts={b.request.id: tax_invoices.nts_fields(b.request, b) for b in rows
             if side == Side.seller and b.settlements},
        invoice_reminders={b.request.id for b in rows
                           if side == Side.seller and tax_invoices.needs_reminder(b.request, b)},
        invoice_forms={b.request.id: forms.get(("invoice", b.request.id))
                       or TaxInvoiceForm(prefix=f"i{b.request.id}") for b in rows},
        refund_forms={c.entry.id: forms.get(("refund", c.entry.id))
                      or RefundForm.shown(prefix=f"r{c.entry.id}", amount=str(
                          minor_to_major(c.refundable, c.entry.currency)))
                      for b in rows for c in b.card_payments + b.transfer_payments},
        reject_forms={e.id: forms.get(("reject", e.id)) or RejectTransferForm(prefix=f"x{e.id}")
                      for b in rows for e in b.pending_transfers},
        money_in=MONEY_IN, DealState=DealState, EntryKind=EntryKind,
        card_available=gateway.available())


def _run(deal_id: int, action, success=None, anchor: str | None = None,
         forms: dict | None = None, on_success=None):
    """Run `action()` and commit, then go back to the deal's payments with `success` (by
    default the message `action` returns); a DomainError shows the page again with its message
    and `forms` (a 404 stays a 404), and so does a failed call to the card payment service."""
    url = _deal_url(deal_id, anchor)
    try:
        return run_action(
            action, on_success=on_success or (lambda result: done(success or result, url)(result)),
            on_error=lambda exc: (_render(deal_id, error=exc.message, forms=forms), exc.status))
    except gateway.GatewayError as exc:
        db.session.rollback()
        log.warning("payment provider call failed: %s", exc)
        return _render(deal_id, error=GATEWAY_FAILED), 502


def _button_post(rule: str):
    """A signed-in POST page at `rule` for a button, whose form carries only the CSRF token."""
    def register(view):
        @bp.route(rule, methods=["POST"], endpoint=view.__name__)
        @login_required
        @wraps(view)
        def pressed(**values):
            if not ActionForm().validate_on_submit():
                abort(400)
            return view(**values)
        return pressed
    return register


@bp.route("/deals/<int:deal_id>")
@login_required
def deal_payments(deal_id):
    return _render(deal_id)


@_button_post("/requests/<int:request_id>/checkout")
def checkout(request_id):
    req = ledger.request_for_viewer_or_404(request_id, current_user)
    # Whatever else the browser sent (an amount, a currency) is not read.
    success = url_for("payments.checkout_success", request_id=req.id, _external=True)
    cancel = url_for("payments.checkout_cancel", request_id=req.id, _external=True)
    return _run(req.deal_id, lambda: card.start_checkout(
        req, current_user, lang=_lang(),
        success_url=success + "?session_id={CHECKOUT_SESSION_ID}", cancel_url=cancel),
        on_success=lambda checkout_url: redirect(checkout_url, code=303))


@bp.route("/requests/<int:request_id>/success")
@login_required
def checkout_success(request_id):
    req = ledger.request_for_viewer_or_404(request_id, current_user)
    session_id = request.args.get("session_id", "")[:255] or None
    paid = card.confirm_from_success_page(req, session_id)
    db.session.commit()
    return render_template("payments/returned.html", req=req, paid=paid, cancelled=False)


@bp.route("/requests/<int:request_id>/cancel")
@login_required
def checkout_cancel(request_id):
    req = ledger.request_for_viewer_or_404(request_id, current_user)
    return render_template("payments/returned.html", req=req, paid=False, cancelled=True)


def _form_post(rule: str, form_class, key: str, prefix: str, check):
    """A signed-in POST page at `rule` about a payment request (`request_id`) or a ledger entry
    (`entry_id`) the viewer may see, posting the `form_class` form the page shows with
    `prefix`. A valid form runs the decorated `action(subject, form)` and commits, and the
    message it returns is flashed; otherwise the page shows the form again (as `key`) with
    `check` or the refusal."""
    def register(action):
        @bp.route(rule, methods=["POST"], endpoint=action.__name__)
        @login_required
        @wraps(action)
        def view(request_id=None, entry_id=None):
            if entry_id is None:
                subject = ledger.request_for_viewer_or_404(request_id, current_user)
                request_id = subject.id
            else:
                subject = ledger.entry_for_viewer_or_404(entry_id, current_user)
                request_id = subject.payment_request_id
            form = form_class(prefix=f"{prefix}{subject.id}")
            forms = {(key, subject.id): form}
            if not form.validate_on_submit():
                return _render(subject.deal_id, error=check, forms=forms), 400
            return _run(subject.deal_id, lambda: action(subject, form),
                        anchor=f"request-{request_id}", forms=forms)
        return view
    return register


@_form_post("/requests/<int:request_id>/transfer", TransferForm, "transfer", "t",
            _l("Check the transfer details."))
def declare_transfer(req, form):
    transfers.declare_transfer(req, current_user, form.reference.data, form.value_date.data)
    return _("Your bank transfer was recorded. The other side will confirm when it arrives.")


@_form_post("/requests/<int:request_id>/tax-invoice", TaxInvoiceForm, "invoice", "i",
            _l("Check the tax invoice."))
def record_tax_invoice(req, form):
    tax_invoices.record(req, current_user, form.approval_no.data, form.issued_on.data)
    return _("The tax invoice was recorded.")


@_button_post("/entries/<int:entry_id>/confirm")
def confirm_transfer(entry_id):
    entry = ledger.entry_for_viewer_or_404(entry_id, current_user)
    return _run(entry.deal_id, lambda: transfers.confirm_transfer(entry, current_user),
                _("You confirmed that the transfer arrived."),
                f"request-{entry.payment_request_id}")


@_form_post("/entries/<int:entry_id>/reject", RejectTransferForm, "reject", "x",
            _l("Check the note."))
def reject_transfer(entry, form):
    transfers.reject_transfer(entry, current_user, form.note.data)
    return _("You said the transfer has not arrived. The other side can pay again.")


def _refund_recorded(entry, amount: int, form):
    """The refund and its audit row (once, though its form may be sent twice)."""
    refunded = refunds.refund(entry, current_user, amount, form.reason.data, form.nonce.data)
    if not audit.recorded("payment_refunded", refunded):
        audit.record(current_user, "payment_refunded", refunded, form.reason.data,
                     {"amount": refunded.amount, "currency": entry.currency,
                      "payment": entry.id})
    return refunded


@bp.route("/entries/<int:entry_id>/refund", methods=["POST"])
@login_required
def refund(entry_id):
    entry = ledger.entry_for_viewer_or_404(entry_id, current_user)
    deal_id, request_id = entry.deal_id, entry.payment_request_id
    form = RefundForm(prefix=f"r{entry.id}")
    valid = form.validate_on_submit()
    if form.nonce.errors:  # not a refund form we showed: show fresh ones
        return _render(deal_id, error=FORM_EXPIRED), 400
    if not valid:
        return _render(deal_id, error=_("Check the refund details."),
                       forms={("refund", entry.id): form}), 400
    try:
        amount = parse_amount(form.amount.data, entry.currency)
    except AmountError as exc:
        form.amount.errors = [exc.message]
        return _render(deal_id, error=_("Check the refund details."),
                       forms={("refund", entry.id): form}), 400
    message = _("The refund by bank transfer was recorded.") \
        if entry.kind == EntryKind.transfer_confirmed \
        else _("The refund was sent to the card payment service.")
    return _run(deal_id, lambda: _refund_recorded(entry, amount, form),
                message, f"request-{request_id}", {("refund", entry.id): form})


@bp.route("/entries/<int:entry_id>/receipt.pdf")
@login_required
def receipt(entry_id):
    entry = ledger.entry_for_viewer_or_404(entry_id, current_user)
    if entry.kind not in MONEY_IN:
        raise NotFound(_l("This payment does not exist."))
    doc = receipts.issue(entry)
    db.session.commit()
    response = make_response(doc.pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{doc.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["ETag"] = f'"{doc.sha256}"'
    return response


@_button_post("/deals/<int:deal_id>/close")
def close(deal_id):
    deal = deal_services.deal_for_viewer_or_404(deal_id, current_user)
    return _run(deal_id, lambda: ledger.close_deal(deal, current_user), _("The deal is closed."))
