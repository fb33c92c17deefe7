"""Organisation verification, ending sessions, the e-mail outbox and the confidential access log.

The other console pages are in their own modules, imported at the end to register their routes.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..accounts.access import admin_required, staff_required
from ..accounts.forms import ConfirmForm, RejectForm
from ..accounts.models import Organisation, User, Verification
from ..extensions import db
from ..listings.confidential import ConfidentialAccess
from ..mail.models import OutboxMessage
from .blueprint import PER_PAGE, bp
from .verification_notices import tell_members


@bp.route("/verifications")
@staff_required
def verifications():
    pending = db.session.scalars(
        db.select(Organisation).where(Organisation.verification == Verification.pending)
        .order_by(Organisation.created_at)).all()
    return render_template("staff/verifications.html", organisations=pending,
                           confirm_form=ConfirmForm(), reject_form=RejectForm())


@bp.route("/confidential-access")
@admin_required
def confidential_access():
    """Who opened which listing's confidential details, when and why (newest first)."""
    page = request.args.get("page", 1, type=int)
    accesses = db.paginate(db.select(ConfidentialAccess).order_by(ConfidentialAccess.id.desc()),
                           page=page, per_page=PER_PAGE, error_out=False)
    return render_template("staff/confidential_access.html", accesses=accesses)


def _organisation_or_404(org_id: int) -> Organisation:
    return db.session.get(Organisation, org_id) or abort(404)


@bp.route("/organisations/<int:org_id>/verify", methods=["POST"])
@staff_required
def verify(org_id):
    org = _organisation_or_404(org_id)
    if ConfirmForm().validate_on_submit():
        org.verify(current_user)
        tell_members(org)
        db.session.commit()
        flash(_("%(name)s is now verified.", name=org.name), "success")
    return redirect(url_for("staff.verifications"))


@bp.route("/organisations/<int:org_id>/reject", methods=["POST"])
@staff_required
def reject(org_id):
    org = _organisation_or_404(org_id)
    form = RejectForm()
    if form.validate_on_submit():
        org.reject(current_user, form.reason.data)
        tell_members(org)
        db.session.commit()
        flash(_("%(name)s was rejected.", name=org.name), "info")
        return redirect(url_for("staff.verifications"))
    flash(_("Give a reason for the rejection."), "danger")
    return redirect(url_for("staff.verifications"))


@bp.route("/users/<int:user_id>/end-sessions", methods=["POST"])
@staff_required
def end_sessions(user_id):
    """Sign an account out everywhere (a lost laptop, a shared computer)."""
    user = db.session.get(User, user_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        user.end_all_sessions_by(current_user)
        db.session.commit()
        flash(_("%(name)s is now signed out everywhere.", name=user.display_name), "success")
    if user.organisation_id is None:
        return redirect(url_for("staff.verifications"))
    return redirect(url_for("accounts.organisation", org_id=user.organisation_id))


@bp.route("/outbox")
@staff_required
def outbox():
    page = request.args.get("page", 1, type=int)
    messages = db.paginate(db.select(OutboxMessage).options(selectinload(OutboxMessage.deal))
                           .order_by(OutboxMessage.id.desc()),
                           page=page, per_page=PER_PAGE, error_out=False)
    return render_template("staff/outbox.html", messages=messages, status_labels={
        "queued": _("Queued"), "sent": _("Sent"), "logged": _("Logged (no mail server)"),
        "dropped": _("Not sent: the link could no longer be issued")})


from . import (  # noqa: E402,F401
    audit_views,
    console,
    contract_reviews,
    pipeline,
    queues,
    reports,
    search,
    users,
)
