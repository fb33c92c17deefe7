"""Security headers for every response (the CSP allows no inline script), and input that no
form or API may receive."""

from flask import request
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


def init_app(app) -> None:
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)
