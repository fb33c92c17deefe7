from datetime import date

from flask import Blueprint, redirect, render_template, url_for

from ..i18n.locale import preferred_locale

bp = Blueprint("pages", __name__, template_folder="templates")


@bp.route("/")
def root():
    return redirect(url_for("pages.home", lang_code=preferred_locale()))


@bp.route("/<lang:lang_code>/")
def home():
    return render_template("pages/home.html", today=date.today())
