"""Who may open the staff console: staff and admins; everyone else, signed in or not, gets a
404, so that its pages are not advertised (not even as a sign-in prompt)."""
from functools import wraps

from flask import abort
from flask_login import current_user


def _only_if(allowed):
    """A view decorator that answers 404 unless ``allowed(current_user)`` holds."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not (current_user.is_authenticated and allowed(current_user)):
                abort(404)
            return view(*args, **kwargs)

        return wrapper

    return decorator


#: Staff and admins only; everyone else gets a 404.
staff_required = _only_if(lambda user: user.is_staff)
#: Admins only; everyone else, staff included, gets a 404.
admin_required = _only_if(lambda user: user.is_admin)
