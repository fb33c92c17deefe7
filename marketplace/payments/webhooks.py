"""`POST /payments/stripe/webhook`: Stripe's events, verified by their signature, each handled
once. The only payments route without a language prefix and without a CSRF token (Stripe signs
the body instead).

Answers: 200 once the event is recorded (or was already: a retry or a duplicate changes
nothing); 400 for a body that is not an event or a signature that is missing, forged or too old
(nothing is written); 503 when no signing secret is configured; 502 / 409 when the event could
not be recorded now (nothing is written and Stripe retries later).
"""

import logging

from flask import Blueprint, jsonify, request
from sqlalchemy.exc import IntegrityError

from ..errors import DomainError
from ..extensions import db
from . import stripe_events
from . import stripe_gateway as gateway

log = logging.getLogger(__name__)

bp = Blueprint("payments_webhooks", __name__)


#: What reading a signed event of an unexpected shape raises (a missing key, a list where an
#: object belongs): the event cannot be handled, so it is a 400 and nothing is written.
MALFORMED = (KeyError, TypeError, AttributeError, ValueError, OverflowError)


def _well_formed(event) -> bool:
    """An event as Stripe sends them: an id, a type, a creation time and a data object."""
    if not isinstance(event, dict):
        return False
    data, created = event.get("data"), event.get("created")
    return (isinstance(event.get("id"), str) and bool(event["id"])
            and isinstance(event.get("type"), str)
            and (created is None or isinstance(created, int) and 0 <= created < 2**32)
            and isinstance(data, dict) and isinstance(data.get("object"), dict))


def _answer(status: int, **body):
    return jsonify(body), status


@bp.route("/payments/stripe/webhook", methods=["POST"])
def stripe_webhook():
    if not gateway.webhook_configured():
        return _answer(503, error="webhooks are not configured")
    payload = request.get_data(cache=False)
    try:
        event = gateway.construct_event(payload, request.headers.get("Stripe-Signature"))
    except gateway.SignatureError:
        log.warning("stripe webhook with a bad signature from %s", request.remote_addr)
        return _answer(400, error="invalid signature")
    except (*MALFORMED, RecursionError):  # signed, but not a JSON object
        return _answer(400, error="invalid payload")
    if not _well_formed(event):
        return _answer(400, error="invalid payload")
    try:
        outcome = stripe_events.handle_event(event)
        db.session.commit()
    except MALFORMED as exc:
        db.session.rollback()
        log.warning("stripe event %s has an unexpected shape: %r", event["id"], exc)
        return _answer(400, error="invalid payload")
    except gateway.GatewayError:
        db.session.rollback()
        log.warning("stripe event %s could not be completed now", event.get("id"))
        return _answer(502, error="try again later")
    except (IntegrityError, DomainError):
        db.session.rollback()
        log.warning("stripe event %s conflicted with another write", event.get("id"))
        return _answer(409, error="try again later")
    return _answer(200, received=True, outcome=outcome)
