"""Payment fixtures: the local Stripe stub, Stripe switched on for a test, signed deals, and a
helper that POSTs a signed webhook."""

import pytest

from marketplace import jobs
from marketplace.deals.models import SYSTEM
from marketplace.extensions import db
from tests.deals.conftest import LICENSE, load, negotiating_deal, parties  # noqa: F401

from .stripe_stub import API_KEY, WEBHOOK_SECRET, StripeStub, sign

STRIPE_KEYS = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE",
               "STRIPE_MAX_NETWORK_RETRIES", "PLATFORM_FEE_PERCENT")


@pytest.fixture(scope="session")
def stripe_server():
    stub = StripeStub().start()
    yield stub
    stub.stop()


@pytest.fixture
def stripe_stub(app, stripe_server):
    """Stripe on (test keys, API at the local stub) for one test; off again afterwards."""
    saved = {key: app.config.get(key) for key in STRIPE_KEYS}
    stripe_server.reset()
    app.config.update(STRIPE_SECRET_KEY=API_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                      STRIPE_API_BASE=stripe_server.url, STRIPE_MAX_NETWORK_RETRIES=0)
    yield stripe_server
    app.config.update(saved)


@pytest.fixture
def stripe_off(app):
    saved = {key: app.config.get(key) for key in STRIPE_KEYS}
    app.config.update(STRIPE_SECRET_KEY=None, STRIPE_WEBHOOK_SECRET=None, STRIPE_API_BASE=None)
    yield
    app.config.update(saved)


@pytest.fixture
def fee(app):
    """`fee("2.5")` sets PLATFORM_FEE_PERCENT for one test."""
    saved = app.config.get("PLATFORM_FEE_PERCENT")
    yield lambda value: app.config.update(PLATFORM_FEE_PERCENT=value)
    app.config["PLATFORM_FEE_PERCENT"] = saved


def sign_deal(p, fields=None, deal_type="license"):
    """A deal walked to `signed` through its own methods; the payment job runs after commit.
    Returns the deal id."""
    deal = negotiating_deal(p) if deal_type == "license" else _negotiating(p, deal_type)
    deal.propose_terms(load(p["seller"]), None, fields or LICENSE)
    deal.accept_terms(load(p["buyer"]), 1)
    deal.start_drafting(load(p["buyer"]))
    deal.send_for_signature(load(p["buyer"]))
    deal.mark_signed(SYSTEM, {"how": "test"})
    db.session.commit()
    deal_id = deal.id
    jobs.flush()
    return deal_id


def _negotiating(p, deal_type):
    from tests.deals.conftest import open_deal

    deal = open_deal(p, deal_type=deal_type)
    deal.accept_inquiry(load(p["seller"]))
    return deal


@pytest.fixture
def post_event(client):
    """POST one webhook event, signed as Stripe signs it (or with `signature=` given)."""

    def post(payload: str, signature: str | None = None, secret: str = WEBHOOK_SECRET,
             timestamp: int | None = None):
        header = signature if signature is not None else sign(payload, secret, timestamp)
        return client.post("/payments/stripe/webhook", data=payload.encode(),
                           headers={"Stripe-Signature": header,
                                    "Content-Type": "application/json"})

    return post
