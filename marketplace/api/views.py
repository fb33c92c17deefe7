"""Pages for managing one's personal access tokens."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.forms import ConfirmForm
from ..actions import run_action
from ..extensions import db
from ..forms import show_error
from . import tokens
from .forms import TokenForm

bp = Blueprint("api_tokens", __name__, template_folder="templates",
               url_prefix="/<lang:lang_code>/profile/tokens")


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    form = TokenForm()

    def page(form=form, secret=None):
        return render_template("api/tokens.html", form=form, secret=secret,
                               tokens=tokens.tokens_of(current_user), revoke_form=ConfirmForm())

    if form.validate_on_submit():
        return run_action(lambda: tokens.create_token(current_user, form.name.data),
                          on_success=lambda created: page(TokenForm(formdata=None), created[1]),
                          on_error=show_error(form, page), reraise=())
    return page()


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id):
    if ConfirmForm().validate_on_submit():
        tokens.revoke_token(current_user, token_id)
        db.session.commit()
        flash(_("The token was revoked."), "info")
    return redirect(url_for("api_tokens.index"))
