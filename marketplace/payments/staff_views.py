"""Staff pages of payments (everyone else gets a 404): settlement accounts waiting for
confirmation, and a month's payments and tax invoices exported for the books."""

from datetime import datetime

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import DomainError
from ..extensions import db
from ..staff.access import staff_required
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
    try:
        settlement.confirm(org_id, current_user, seen)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        return _queue(error=exc.message), exc.status
    flash(_("The settlement account is confirmed."), "success")
    return redirect(url_for("payments_staff.queue"), code=303)


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
