from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def staff_required(view):
    """Staff and admins only; everyone else gets a 404, so staff pages are not advertised."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_staff:
            abort(404)
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    """Admins only; everyone else, staff included, gets a 404."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapper
