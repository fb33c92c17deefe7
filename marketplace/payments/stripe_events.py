"""Stripe's verified events, each recorded once by its id and handed to what it is about."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..errors import DomainError
from ..extensions import db
from . import stripe_gateway as gateway
from .card import record_checkout_completed, record_checkout_expired, record_payment_failed
from .ledger import as_json
from .models import ProviderEvent
from .refunds import record_charge_refunded, record_refund_updated

HANDLED = ("checkout.session.completed", "checkout.session.async_payment_succeeded",
           "checkout.session.expired", "payment_intent.payment_failed", "charge.refunded",
           "charge.refund.updated")


def handle_event(event: dict) -> str:
    """Record one verified Stripe event. A known event id changes nothing ("duplicate")."""
    event_id = str(event.get("id") or "")
    if not event_id:
        raise DomainError(_l("The event has no id."))
    if db.session.scalar(sa.select(ProviderEvent.id).where(
            ProviderEvent.provider == "stripe", ProviderEvent.event_id == event_id)):
        return "duplicate"
    created = event.get("created")
    row = ProviderEvent(provider="stripe", event_id=event_id, type=str(event.get("type")),
                        livemode=bool(event.get("livemode")), payload=as_json(event),
                        created=datetime.fromtimestamp(created, UTC)
                        if isinstance(created, int) else None, outcome="received")
    db.session.add(row)
    db.session.flush()
    obj = (event.get("data") or {}).get("object") or {}
    kind = row.type
    if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        outcome = record_checkout_completed(gateway.session_from(obj), row)
    elif kind == "checkout.session.expired":
        outcome = record_checkout_expired(gateway.session_from(obj), row)
    elif kind == "payment_intent.payment_failed":
        outcome = record_payment_failed(obj, row)
    elif kind == "charge.refunded":
        outcome = record_charge_refunded(obj, row)
    elif kind == "charge.refund.updated":
        outcome = record_refund_updated(obj, row)
    else:
        outcome = "ignored"
    row.outcome = outcome
    db.session.flush()
    return outcome
