"""The desk page: where a signed-in member lands."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from . import services

bp = Blueprint("desk", __name__, template_folder="templates",
               url_prefix="/<lang:lang_code>/desk")


@bp.route("/")
@login_required
def home():
    if current_user.is_staff:  # staff work from the console
        return redirect(url_for("staff.home"))
    return render_template("desk/home.html", desk=services.desk_for(current_user),
                           counters=services.COUNTERS, window_days=services.WINDOW_DAYS)
