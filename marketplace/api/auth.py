"""Bearer-token authentication for API views."""

from functools import wraps

from flask import g, request
from flask_babel import lazy_gettext as _l

from ..errors import DomainError
from .tokens import user_for_token


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


def api_user():
    """The user the request's bearer token belongs to, or None (never the session cookie)."""
    if "api_user" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        g.api_user = user_for_token(secret.strip()) if scheme.lower() == "bearer" else None
        if header and g.api_user is None:
            raise Unauthorized(_l("The access token is missing, wrong or revoked."))
    return g.api_user


def token_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if api_user() is None:
            raise Unauthorized(_l("This needs an access token: Authorization: Bearer <token>."))
        return view(*args, **kwargs)

    return wrapper
