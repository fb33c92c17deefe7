"""The only module that talks to Stripe.

A `stripe.StripeClient` is built per call from the app's config: `STRIPE_SECRET_KEY` (unset:
card payment is unavailable, `available()` says so and nothing here is called),
`STRIPE_API_BASE` (unset: Stripe's own address; tests point it at a local stub over plain http)
and `STRIPE_WEBHOOK_SECRET` for verifying webhook signatures. Callers get plain dataclasses and
one error type, `GatewayError`, never the library's objects or exceptions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import stripe
from flask import current_app

log = logging.getLogger(__name__)

#: Stripe Checkout's largest amount in minor units for a single payment (8 digits).
CHECKOUT_LOCALES = {"ko": "ko", "en": "en"}


class GatewayError(Exception):
    """Stripe refused a call or could not be reached; `user_safe` is what a person may read."""

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.code = code


class NotConfigured(GatewayError):
    pass


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str | None
    status: str | None             # open | complete | expired
    payment_status: str | None     # paid | unpaid | no_payment_required
    amount_total: int | None
    currency: str | None
    payment_intent: str | None
    metadata: dict[str, str]
    expires_at: int | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class Refund:
    id: str
    amount: int
    currency: str
    status: str | None
    charge: str | None
    payment_intent: str | None
    raw: dict[str, Any]


def available() -> bool:
    return bool(current_app.config["STRIPE_SECRET_KEY"])


def webhook_configured() -> bool:
    return bool(current_app.config["STRIPE_WEBHOOK_SECRET"])


def max_amount() -> int:
    return int(current_app.config["STRIPE_MAX_AMOUNT"])


def client() -> stripe.StripeClient:
    config = current_app.config
    key = config["STRIPE_SECRET_KEY"]
    if not key:
        raise NotConfigured("STRIPE_SECRET_KEY is not set")
    base = config["STRIPE_API_BASE"]
    return stripe.StripeClient(
        key,
        base_addresses={"api": base} if base else None,
        max_network_retries=int(config["STRIPE_MAX_NETWORK_RETRIES"]),
    )


def _plain(obj) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _id(value) -> str | None:
    """An expandable field: an id string, an expanded object, or nothing."""
    if value is None or isinstance(value, str):
        return value
    return value.get("id") if isinstance(value, dict) else getattr(value, "id", None)


def session_from(data: dict[str, Any]) -> CheckoutSession:
    return CheckoutSession(
        id=data["id"], url=data.get("url"), status=data.get("status"),
        payment_status=data.get("payment_status"), amount_total=data.get("amount_total"),
        currency=(data.get("currency") or "").upper() or None,
        payment_intent=_id(data.get("payment_intent")),
        metadata=dict(data.get("metadata") or {}), expires_at=data.get("expires_at"),
        raw=data)


def refund_from(data: dict[str, Any]) -> Refund:
    return Refund(id=data["id"], amount=int(data["amount"]),
                  currency=(data.get("currency") or "").upper(), status=data.get("status"),
                  charge=_id(data.get("charge")), payment_intent=_id(data.get("payment_intent")),
                  raw=data)


def _call(what: str, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except stripe.StripeError as exc:
        log.warning("stripe %s failed: %s", what, exc)
        raise GatewayError(str(getattr(exc, "user_message", None) or exc),
                           code=getattr(exc, "code", None)) from exc


def create_checkout_session(*, amount: int, currency: str, product_name: str,
                            description: str | None, success_url: str, cancel_url: str,
                            lang: str, metadata: dict[str, str], idempotency_key: str,
                            customer_email: str | None = None,
                            expires_at: int | None = None) -> CheckoutSession:
    """A hosted Checkout page for one card payment of exactly `amount` minor units."""
    params: dict[str, Any] = {
        "mode": "payment",
        "payment_method_types": ["card"],
        "line_items": [{
            "quantity": 1,
            "price_data": {
                "currency": currency.lower(),
                "unit_amount": int(amount),
                "product_data": {"name": product_name[:250],
                                 **({"description": description[:500]} if description else {})},
            },
        }],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "locale": CHECKOUT_LOCALES.get(lang, "auto"),
        "client_reference_id": metadata.get("payment_request_id"),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
    }
    if customer_email:
        params["customer_email"] = customer_email
    if expires_at:
        params["expires_at"] = int(expires_at)
    session = _call("checkout.sessions.create", client().v1.checkout.sessions.create,
                    params=params, options={"idempotency_key": idempotency_key})
    return session_from(_plain(session))


def retrieve_checkout_session(session_id: str) -> CheckoutSession:
    session = _call("checkout.sessions.retrieve", client().v1.checkout.sessions.retrieve,
                    session_id)
    return session_from(_plain(session))


def retrieve_payment_intent_metadata(payment_intent_id: str) -> dict[str, str]:
    intent = _call("payment_intents.retrieve", client().v1.payment_intents.retrieve,
                   payment_intent_id)
    return dict(_plain(intent).get("metadata") or {})


def list_refunds(charge_id: str) -> list[Refund]:
    page = _call("refunds.list", client().v1.refunds.list,
                 params={"charge": charge_id, "limit": 100})
    return [refund_from(_plain(item)) for item in _plain(page).get("data", [])]


def create_refund(*, payment_intent: str, amount: int, metadata: dict[str, str],
                  idempotency_key: str) -> Refund:
    refund = _call("refunds.create", client().v1.refunds.create,
                   params={"payment_intent": payment_intent, "amount": int(amount),
                           "reason": "requested_by_customer", "metadata": metadata},
                   options={"idempotency_key": idempotency_key})
    return refund_from(_plain(refund))


def construct_event(payload: bytes, signature: str | None) -> dict[str, Any]:
    """The verified event as a plain dict; ValueError for a bad payload,
    `stripe.SignatureVerificationError` for a missing, forged or stale signature."""
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    if not secret:
        raise NotConfigured("STRIPE_WEBHOOK_SECRET is not set")
    tolerance = int(current_app.config["STRIPE_WEBHOOK_TOLERANCE"])
    event = stripe.Webhook.construct_event(payload, signature or "", secret,
                                           tolerance=tolerance)
    return _plain(event)


SignatureError = stripe.SignatureVerificationError
