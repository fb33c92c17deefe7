"""Administrators manage accounts: grant and revoke staff, deactivate and reactivate."""

from functools import wraps

import sqlalchemy as sa
from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..accounts.access import admin_required
from ..accounts.models import Role, User
from ..actions import done, run_action
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


def _account_change(rule: str, form=ReasonForm):
    """An administrator's POST at `rule` changing the account `user_id`: the decorated
    `action(user, form)` runs with its reason and audit row in one transaction and returns what
    to flash; a refusal shows the page again with the reason and the error's status."""
    def register(action):
        @bp.route(rule, methods=["POST"], endpoint=action.__name__)
        @admin_required
        @wraps(action)
        def view(user_id):
            posted = form()
            user = db.session.get(User, user_id) or abort(404)
            if not posted.validate_on_submit():
                return _page(DomainError(_("Check the form.")), 400)
            back = url_for("staff.users", q=request.values.get("q") or None)
            return run_action(lambda: action(user, posted),
                              on_success=lambda message: done(message, back)(user),
                              on_error=lambda exc: _page(exc, exc.status), reraise=())
        return view
    return register


@_account_change("/users/<int:user_id>/role", RoleForm)
def change_role(user, form):
    user.change_role(current_user, form.role.data, form.reason.data)
    return _("The role of %(name)s has been changed.", name=user.display_name)


@_account_change("/users/<int:user_id>/deactivate")
def deactivate(user, form):
    user.deactivate(current_user, form.reason.data)
    return _("%(name)s's account is deactivated and signed out everywhere.",
             name=user.display_name)


@_account_change("/users/<int:user_id>/reactivate")
def reactivate(user, form):
    user.reactivate(current_user, form.reason.data)
    return _("%(name)s's account is active again.", name=user.display_name)
