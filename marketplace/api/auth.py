"""Bearer-token authentication for API views."""

from copy import deepcopy
from functools import wraps

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l

from ..errors import DomainError
from .tokens import active_token, record_use


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


def api_user():
    """The user the request's bearer token belongs to, or None (never the session cookie)."""
    if "api_user" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        token = active_token(secret.strip()) if scheme.lower() == "bearer" else None
        if header and token is None:
            raise Unauthorized(_l("The access token is missing, wrong or revoked."))
        if token is not None:
            record_use(token)
        g.api_user = token.user if token is not None else None
    return g.api_user


def api_organisation(error: type[DomainError], message):
    """The token holder's organisation; `error(message)` when they belong to none."""
    org = api_user().organisation
    if org is None:
        raise error(message)
    return org


def _require_user():
    if api_user() is None:
        raise Unauthorized(_l("This needs an access token: Authorization: Bearer <token>."))


#: How the OpenAPI document says that an operation needs a token.
SECURITY = [{"bearer": []}]


def token_required(view):
    """The view needs a bearer token; its operation in the document says so."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        _require_user()
        return view(*args, **kwargs)

    # both copied outwards by the flask-smorest decorators that wrap it
    wrapper.requires_token = True
    wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))
    wrapper._apidoc.setdefault("manual_doc", {})["security"] = SECURITY
    return wrapper


def _view_needs_token() -> bool:
    view = current_app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:  # a MethodView: the method for this request
        view = getattr(view_class, request.method.lower(), None)
    return getattr(view, "requires_token", False)


def authenticate_first() -> None:
    """Before the body is parsed: a bad token is a 401 everywhere, and so is no token on a
    route that needs one, whatever the body (validation would otherwise answer first)."""
    api_user()
    if _view_needs_token():
        _require_user()
