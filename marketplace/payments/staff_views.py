"""Staff pages of payments (everyone else gets a 404): settlement accounts waiting for
confirmation, and a month's payments and tax invoices exported for the books."""

from datetime import datetime

from flask import Blueprint, abort, g, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.access import staff_required
from ..actions import done, run_action
from . import export, settlement
from .forms import ConfirmAccountForm
from .plan import local_today

bp = Blueprint("payments_staff", __name__, template_folder="templates",
               url_prefix="/<lang:lang_code>/payments/staff")


def _lang() -> str:
    return g.get("lang_code") or "ko"


@bp.route("/settlement-accounts")
@staff_required
def queue():
    return _queue()


def _queue(error=None):
    return render_template("payments/settlement_queue.html",
                           accounts=settlement.awaiting_confirmation(), form=ConfirmAccountForm(),
                           lang=_lang(), error=error,
                           month=local_today().strftime("%Y-%m"))


@bp.route("/settlement-accounts/<int:org_id>/confirm", methods=["POST"])
@staff_required
def confirm_account(org_id):
    form = ConfirmAccountForm()
    try:
        seen = datetime.fromisoformat(form.changed_at.data or "") \
            if form.validate_on_submit() else None
    except ValueError:
        seen = None
    if seen is None:
        return _queue(error=_("The form expired or was sent from elsewhere. Please reload the "
                              "page and try again.")), 400
    return run_action(lambda: settlement.confirm(org_id, current_user, seen),
                      on_success=done(_("The settlement account is confirmed."),
                                      url_for("payments_staff.queue")),
                      on_error=lambda exc: (_queue(error=exc.message), exc.status))


@bp.route("/export")
@staff_required
def export_month():
    """`?month=YYYY-MM&format=csv|xlsx`: the month's payments and tax invoices."""
    month = request.args.get("month", "")[:7]
    kind = request.args.get("format", "csv")
    if kind not in ("csv", "xlsx"):
        abort(400)
    try:
        body = export.as_csv(month) if kind == "csv" else export.as_xlsx(month)
    except ValueError:
        abort(400)
    response = make_response(body)
    response.headers["Content-Type"] = "text/csv; charset=utf-8" if kind == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response.headers["Content-Disposition"] = \
        f'attachment; filename="tto-payments-{month}.{kind}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
