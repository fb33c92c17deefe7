"""The notifications page, marking read, and the per-kind delivery preferences."""

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..actions import done, run_action
from ..extensions import db
from . import services
from .forms import MarkReadForm, preferences_form
from .models import Delivery, Notification

bp = Blueprint("notifications", __name__, template_folder="templates",
               url_prefix="/<lang:lang_code>/notifications")


@bp.route("/")
@login_required
def index():
    notices = services.notifications_for(current_user)
    items = [(n, services.rendered(n)) for n in notices]
    return render_template("notifications/index.html", form=MarkReadForm(),
                           items=[(n, view) for n, view in items if view is not None])


@bp.route("/<int:notification_id>")
@login_required
def open_one(notification_id: int):
    """Follow a notice: mark it read and go where it leads."""
    notice = db.session.get(Notification, notification_id)
    if notice is None or notice.user_id != current_user.id:
        abort(404)
    view = services.rendered(notice)
    services.mark_read(current_user, [notice.id])
    db.session.commit()
    if view is None:
        return redirect(url_for("notifications.index"), code=303)
    return redirect(url_for(view.endpoint, **view.values), code=303)


@bp.route("/read", methods=["POST"])
@login_required
def read_all():
    if not MarkReadForm().validate_on_submit():
        abort(400)
    return run_action(lambda: services.mark_read(current_user),
                      on_success=done(_("All notifications are marked as read."),
                                      url_for("notifications.index")))


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def read_one(notification_id: int):
    if not MarkReadForm().validate_on_submit():
        abort(400)
    return run_action(lambda: services.mark_read(current_user, [notification_id]),
                      on_success=done(_("The notification is marked as read."),
                                      url_for("notifications.index")))


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    kinds = sorted(services.KINDS.values(), key=lambda k: k.name)
    current = {k.name: services.delivery_for(current_user, k.name).value for k in kinds}
    form = preferences_form(kinds, current)
    if form.validate_on_submit():
        def save():
            for kind in kinds:
                services.set_delivery(current_user, kind.name, Delivery(form[kind.name].data))
        return run_action(save, on_success=done(_("Your notification preferences are saved."),
                                                url_for("notifications.preferences")))
    return render_template("notifications/preferences.html", form=form, kinds=kinds)
