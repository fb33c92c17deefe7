"""Pages for managing one's personal access tokens."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.forms import ConfirmForm
from ..errors import DomainError
from ..extensions import db
from ..forms import apply_domain_error
from . import tokens
from .forms import TokenForm

bp = Blueprint("api_tokens", __name__, template_folder="templates",
               url_prefix="/<lang:lang_code>/profile/tokens")


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        try:
            _, secret = tokens.create_token(current_user, form.name.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            form = TokenForm(formdata=None)
    return render_template("api/tokens.html", form=form, secret=secret,
                           tokens=tokens.tokens_of(current_user), revoke_form=ConfirmForm())


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id):
    if ConfirmForm().validate_on_submit():
        tokens.revoke_token(current_user, token_id)
        db.session.commit()
        flash(_("The token was revoked."), "info")
    return redirect(url_for("api_tokens.index"))
