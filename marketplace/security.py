"""Security headers for every response (the CSP allows no inline script), and input that no
form or API may receive."""

import json

from flask import current_app, request
from flask_babel import lazy_gettext as _l

from .errors import DomainError

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self' https://checkout.stripe.com",
    "frame-ancestors 'none'",
])


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


def _carries_nul() -> bool:
    fields = list(request.args.lists())
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields += request.form.lists()  # the fields only: binary uploads are full of NULs
    if any("\x00" in value for _, values in fields for value in values):
        return True
    if request.is_json:
        raw = request.get_data(cache=True)
        return b"\x00" in raw or b"\\u0000" in raw
    return False


def refuse_nul_characters() -> None:
    """No one types a NUL character and PostgreSQL cannot store one in text: a query, form or
    JSON body carrying one is refused here instead of failing at the database."""
    if _carries_nul():
        raise DomainError(_l("The text contains a NUL character, which cannot be stored."))


#: No form of ours nests deeper; Python's parser gives up (RecursionError) a little past 1000.
MAX_JSON_DEPTH = 32


def _json_problem(raw: bytes):
    """Why a JSON body cannot be read, or None. Parsing here first turns what the parsers
    behind it cannot handle (deep nesting, integers of more than 4300 digits) into a 400."""
    try:
        data = json.loads(raw)
    except RecursionError:
        return _l("The JSON body is nested too deeply.")
    except ValueError:  # also UnicodeDecodeError and the int-from-str digit limit
        return _l("The request body is not valid JSON.")
    stack = [(data, 1)]
    while stack:  # iterative: a recursive walk could itself run out of stack
        value, depth = stack.pop()
        if isinstance(value, str):
            if _has_lone_surrogate(value):
                return _l("The text contains an invalid character (a lone surrogate).")
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                return _l("The JSON body is nested too deeply.")
            items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
            for key, item in items:
                stack.append((item, depth + 1))
                if key is not None:
                    stack.append((key, depth + 1))
    return None


def _has_lone_surrogate(text: str) -> bool:
    """JSON's "\\ud800" escape gives a string that cannot be encoded as UTF-8 (or stored)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def refuse_unreadable_json() -> None:
    if request.is_json:
        raw = request.get_data(cache=True)
        problem = _json_problem(raw) if raw.strip() else None
        if problem is not None:
            raise DomainError(problem)


def init_app(app) -> None:
    app.before_request(refuse_nul_characters)
    app.before_request(refuse_unreadable_json)
    app.after_request(add_security_headers)


def password_attempt_limit() -> str:
    """Actions that ask for the account password (signing, confirming an NDA) allow as many
    attempts as signing in does: `limiter.limit(password_attempt_limit)`."""
    return current_app.config["LOGIN_RATE_LIMIT"]
