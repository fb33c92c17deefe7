"""Payments of signed deals: payment requests made from the signed Terms, card payments through
Stripe Checkout (webhooks verified and handled once), bank transfers declared and confirmed,
refunds, an append-only ledger and bilingual PDF receipts.

When a deal reaches `signed`, `requesting.create_payment_requests` runs (a job enqueued by a
subscriber of the `mark_signed` deal event; a caller may also call it directly,
it is idempotent) and moves the deal to `payment_pending`; it goes to `paid` once every request
is covered.
"""


def init_app(app) -> None:
    from ..extensions import csrf
    from . import invoice_reminders, requesting  # noqa: F401  (periodic job; `mark_signed` hook)
    from .settlement_views import bp as settlement_bp
    from .staff_views import bp as staff_bp
    from .views import bp
    from .webhooks import bp as webhooks_bp

    app.register_blueprint(bp)
    app.register_blueprint(settlement_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(webhooks_bp)
    csrf.exempt(webhooks_bp)
