from datetime import date

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from ..desk import is_member
from ..i18n.locale import preferred_locale
from ..page_cache import for_visitors

bp = Blueprint("pages", __name__, template_folder="templates")


@bp.route("/")
def root():
    endpoint = "desk.home" if is_member(current_user) else "pages.home"
    return redirect(url_for(endpoint, lang_code=preferred_locale()))


@bp.route("/<lang:lang_code>/")
@for_visitors
def home():
    """The public home page; a signed-in member goes to their desk."""
    if is_member(current_user):
        return redirect(url_for("desk.home"))
    return render_template("pages/home.html", today=date.today())
