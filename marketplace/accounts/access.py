"""Who may open the staff console: staff and admins; everyone else, signed in or not, gets a
404, so that its pages are not advertised (not even as a sign-in prompt)."""
from functools import wraps

from flask import abort
from flask_login import current_user


def staff_required(view):
    """Staff and admins only; everyone else gets a 404."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not (current_user.is_authenticated and current_user.is_staff):
            abort(404)
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    """Admins only; everyone else, staff included, gets a 404."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not (current_user.is_authenticated and current_user.is_admin):
            abort(404)
        return view(*args, **kwargs)

    return wrapper
