"""The settlement account page: an organisation's members enter its account."""

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import DomainError, NotFound
from ..extensions import db
from . import settlement
from .forms import SettlementAccountForm

bp = Blueprint("settlement", __name__, template_folder="templates",
               url_prefix="/<lang:lang_code>/payments")


def _lang() -> str:
    return g.get("lang_code") or "ko"


@bp.route("/settlement-account", methods=["GET", "POST"])
@login_required
def edit():
    org = current_user.organisation
    if org is None:
        raise NotFound(_("This organisation has no settlement account."))
    account = settlement.account_of(org.id)
    form = SettlementAccountForm(lang=_lang(), data=None if account is None else {
        "bank_code": account.bank_code, "holder": account.holder})
    error, status = None, 200
    if form.validate_on_submit():
        try:
            settlement.save(org, current_user, form.bank_code.data, form.account_number.data,
                            form.holder.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            for name, messages in (exc.fields or {}).items():
                getattr(form, name).errors = list(messages)
            error, status = exc.message, exc.status
        else:
            flash(_("The settlement account was saved. Staff will confirm it before payers "
                    "are shown it."), "success")
            return redirect(url_for("settlement.edit"), code=303)
    elif form.is_submitted():
        error, status = _("Check the settlement account."), 400
    return render_template("payments/settlement_account.html", org=org, account=account,
                           form=form, error=error, lang=_lang()), status
