"""Domain errors and the error pages / JSON error bodies every request may end in."""

import logging

from flask import jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .access_log import redact

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain refused an action; `message` is translated for the user."""

    status = 400
    code = "invalid"

    def __init__(self, message, fields: dict | None = None):
        super().__init__(str(message))
        self.message = message
        self.fields = fields or {}


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


def checked_text(value: str | None, name: str, limit: int, *, too_long,
                 missing=None) -> str | None:
    """`value` stripped (None when empty). A DomainError on the field `name` when it is longer
    than `limit` (with the message `too_long`), or empty when `missing` is a message (required)."""
    value = (value or "").strip()
    if missing is not None and not value:
        raise DomainError(missing, {name: [_l("This field is required.")]})
    if len(value) > limit:
        raise DomainError(too_long, {name: [_l("Use at most %(n)d characters.", n=limit)]})
    return value or None


TITLES = {
    400: (_l("Bad request"),
          _l("The request could not be understood. Please check what you sent.")),
    401: (_l("Sign in required"), _l("Please sign in to continue.")),
    403: (_l("Not allowed"), _l("You do not have permission to do this.")),
    404: (_l("Page not found"), _l("The page you are looking for does not exist.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Conflict"), _l("Someone changed this in the meantime. Reload and try again.")),
    413: (_l("Too large"), _l("What you sent is larger than allowed.")),
    429: (_l("Too many requests"), _l("Too many attempts. Please wait a moment and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. We have been notified.")),
}


def wants_json() -> bool:
    """The API and Stripe's webhook are answered in JSON; everything else with a page."""
    return request.path.startswith("/api/") or request.path == "/payments/stripe/webhook"


def error_response(status: int, message=None, code: str | None = None, fields=None):
    title, default_message = TITLES.get(status, TITLES[500 if status >= 500 else 400])
    message = message or default_message
    if wants_json():
        body = {"error": {"code": code or _code_for(status), "message": str(message),
                          "fields": fields or {}}}
        return make_response(jsonify(body), status)
    return make_response(render_template("errors/error.html", status=status, title=title,
                                         message=message), status)


def _code_for(status: int) -> str:
    return {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
            405: "method_not_allowed", 409: "conflict", 413: "too_large",
            429: "rate_limited"}.get(status, "server_error")


def _validation_fields(data) -> dict:
    """Field messages from a webargs/marshmallow validation error, by field name."""
    from .i18n.validation import translate

    messages = (data or {}).get("messages") or {}
    fields = {}
    for location_messages in messages.values():  # {"json": {...}, "query": {...}}
        if isinstance(location_messages, dict):
            for name, errors in location_messages.items():
                fields[name] = translate(errors if isinstance(errors, list | dict)
                                         else [str(errors)])
    return fields


def init_app(app) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        from .extensions import db

        db.session.rollback()
        return error_response(exc.status, exc.message, exc.code, exc.fields)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(400, _l("The form expired or was sent from elsewhere. "
                                      "Please reload the page and try again."), "csrf")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        fields = _validation_fields(getattr(exc, "data", None))
        message = _l("Some fields are not valid.") if fields else None
        response = error_response(exc.code, message, "validation_error" if fields else None,
                                  fields)
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(InternalServerError)
    def server_error(exc):
        from .extensions import db

        db.session.rollback()
        log.error("unhandled error on %s", redact(request.path),
                  exc_info=exc.original_exception)
        return error_response(500)
