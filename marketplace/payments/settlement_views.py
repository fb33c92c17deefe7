"""The settlement account page: an organisation's members enter its account."""

from functools import partial

from flask import Blueprint, g, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..actions import done, run_action
from ..errors import NotFound
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
    page = partial(render_template, "payments/settlement_account.html", org=org,
                   account=account, form=form, lang=_lang())
    if form.validate_on_submit():
        def refused(exc):
            for name, messages in (exc.fields or {}).items():
                getattr(form, name).errors = list(messages)
            return page(error=exc.message), exc.status

        return run_action(
            lambda: settlement.save(org, current_user, form.bank_code.data,
                                    form.account_number.data, form.holder.data),
            on_success=done(_("The settlement account was saved. Staff will confirm it before "
                              "payers are shown it."), url_for("settlement.edit")),
            on_error=refused)
    if form.is_submitted():
        return page(error=_("Check the settlement account.")), 400
    return page(error=None)
