"""Administrators manage accounts: grant and revoke staff, deactivate and reactivate."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..accounts.access import admin_required
from ..accounts.models import Role, User
from ..errors import DomainError
from ..extensions import db
from .blueprint import PER_PAGE, bp
from .forms import ReasonForm, RoleForm


def users_query(q: str):
    """Accounts whose name or e-mail contains `q`, or the one whose id is `#n`."""
    stmt = sa.select(User).options(selectinload(User.organisation)).order_by(User.id)
    q = (q or "").strip()
    if q.startswith("#") and q[1:].isdigit():
        return stmt.where(User.id == int(q[1:]))
    if q:
        pattern = f"%{q.lower()}%"
        stmt = stmt.where(sa.or_(sa.func.lower(User.email).like(pattern),
                                 sa.func.lower(User.display_name).like(pattern)))
    return stmt


def _page(error: DomainError | None = None, status: int = 200):
    q = request.values.get("q", "")
    accounts = db.paginate(users_query(q), page=request.args.get("page", 1, type=int),
                           per_page=PER_PAGE, error_out=False)
    return render_template("staff/users.html", accounts=accounts, q=q, error=error,
                           role_labels=Role.labels(), role_form=RoleForm(formdata=None),
                           reason_form=ReasonForm(formdata=None)), status


@bp.route("/users")
@admin_required
def users():
    return _page()


def _change(user_id: int, form, apply, done: str):
    """Apply an administrator's change with its reason and audit row in one transaction; a
    refusal shows the page again with the reason and the error's status."""
    user = db.session.get(User, user_id) or abort(404)
    if not form.validate_on_submit():
        return _page(DomainError(_("Check the form.")), 400)
    try:
        apply(user, form.reason.data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _page(exc, exc.status)
    flash(done % {"name": user.display_name}, "success")
    return redirect(url_for("staff.users", q=request.values.get("q") or None), code=303)


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@admin_required
def change_role(user_id):
    form = RoleForm()
    return _change(user_id, form,
                   lambda user, why: user.change_role(current_user, form.role.data, why),
                   _("The role of %(name)s has been changed."))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@admin_required
def deactivate(user_id):
    return _change(user_id, ReasonForm(),
                   lambda user, why: user.deactivate(current_user, why),
                   _("%(name)s's account is deactivated and signed out everywhere."))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@admin_required
def reactivate(user_id):
    return _change(user_id, ReasonForm(),
                   lambda user, why: user.reactivate(current_user, why),
                   _("%(name)s's account is active again."))
