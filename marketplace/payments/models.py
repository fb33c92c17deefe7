"""Payment requests, the append-only payment ledger, and the provider events already handled.

A `PaymentRequest` is what the signed Terms say one payment is: amount in integer minor units,
currency, due date, purpose, who pays whom. It never changes once written. Everything that
happens to it afterwards is a `LedgerEntry`: the request itself, a Checkout Session opened, a
card payment that succeeded or failed, a session that expired, a refund, a bank transfer
declared by the payer and confirmed by the payee. Each row carries a positive amount, its
currency and the provider payload it came from; what has been paid is the sum of the rows, never
a number edited in place.

`ProviderEvent` holds every Stripe event id handled (unique), so a retried or duplicated
delivery is recognised and changes nothing. Ledger rows caused by the provider also carry a
`dedupe_key` (unique): the same fact reported by two different events (a session completed
twice, a refund seen both in our API response and in its webhook) is recorded once.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..accounts.models import Organisation, User
from ..clock import utcnow
from ..db_types import AwareDateTime, DealRecord, child_rows, enum_column
from ..deals.models import Deal
from ..errors import DomainError
from ..extensions import db
from ..labels import LabelledEnum, label_of


class Purpose(LabelledEnum):
    upfront_fee = "upfront_fee", _l("Licence upfront fee")      # licence
    price = "price", _l("Transfer price")                       # technology transfer
    poc_fee = "poc_fee", _l("PoC fee")                          # proof of concept
    supply = "supply", _l("Supply price")                       # quantity x unit price
    investment = "investment", _l("Investment amount")
    acquisition = "acquisition", _l("Acquisition price")
    # a deal type with no single amount, paid by schedule
    scheduled = "scheduled", _l("Scheduled payment")


class EntryKind(LabelledEnum):
    # the request was created from the signed Terms
    requested = "requested", _l("Payment requested")
    # a Stripe Checkout Session was opened
    checkout_created = "checkout_created", _l("Card payment started")
    succeeded = "succeeded", _l("Card payment succeeded")       # a card payment went through
    failed = "failed", _l("Card payment failed")                # a card payment attempt failed
    expired = "expired", _l("Card payment page expired")        # a session expired unpaid
    refunded = "refunded", _l("Refunded")                       # money went back to the payer
    # the payer says they sent a bank transfer
    transfer_declared = "transfer_declared", _l("Bank transfer declared")
    # the payee confirms the transfer arrived
    transfer_confirmed = "transfer_confirmed", _l("Bank transfer confirmed")
    # the payee says it never arrived
    transfer_rejected = "transfer_rejected", _l("Bank transfer not received")
    # a recorded refund failed or was cancelled
    refund_failed = "refund_failed", _l("Refund failed or cancelled")


#: Kinds that move money to the payee, the one that moves it back, and the one that says a
#: refund recorded earlier never happened (it cancels that refund).
MONEY_IN = (EntryKind.succeeded, EntryKind.transfer_confirmed)
MONEY_OUT = (EntryKind.refunded,)
REFUND_UNDONE = (EntryKind.refund_failed,)


class Method(LabelledEnum):
    card = "card", _l("Card (Stripe)")
    bank_transfer = "bank_transfer", _l("Bank transfer")


def _money_checks() -> tuple[sa.CheckConstraint, ...]:
    """A sum of money is positive, in integer minor units of a three-letter currency."""
    return (sa.CheckConstraint("amount > 0", name="amount_positive"),
            sa.CheckConstraint("length(currency) = 3", name="currency_code"))


class PaymentRequest(DealRecord, db.Model):
    """One payment the signed Terms call for. Immutable once written."""

    __tablename__ = "payment_requests"

    terms_version: Mapped[int]
    seq: Mapped[int]                    # 1..count within the deal's signed Terms
    count: Mapped[int]                  # how many requests the Terms made
    purpose: Mapped[Purpose] = mapped_column(enum_column(Purpose, 30))
    amount: Mapped[int] = mapped_column(sa.BigInteger)  # the total: supply value plus VAT
    # The supply value (공급가액) and the VAT (부가가치세) on it, as the Terms set them.
    supply_value: Mapped[int] = mapped_column(sa.BigInteger)
    vat: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    currency: Mapped[str] = mapped_column(sa.String(3))
    fee_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal(0))
    fee_amount: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    due_date: Mapped[date] = mapped_column(sa.Date)
    payer_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id",
                                                            ondelete="RESTRICT"))
    payee_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id",
                                                            ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    deal: Mapped[Deal] = relationship()
    payer: Mapped[Organisation] = relationship(foreign_keys=[payer_org_id])
    payee: Mapped[Organisation] = relationship(foreign_keys=[payee_org_id])
    entries: Mapped[list[LedgerEntry]] = child_rows("payment_request", "LedgerEntry.id")

    __table_args__ = (
        sa.UniqueConstraint("deal_id", "terms_version", "seq",
                            name="uq_payment_requests_deal_id_terms_version_seq"),
        *_money_checks(),
        sa.CheckConstraint("vat >= 0 AND supply_value + vat = amount", name="total_of_vat"),
        sa.CheckConstraint("fee_amount >= 0 AND fee_amount < amount", name="fee_in_range"),
        sa.CheckConstraint("fee_percent >= 0 AND fee_percent < 100", name="fee_percent_range"),
        sa.CheckConstraint("seq >= 1 AND seq <= count", name="seq_in_range"),
        sa.CheckConstraint("payer_org_id <> payee_org_id", name="distinct_parties"),
    )

    purpose_label = label_of("purpose")

    @property
    def net_amount(self) -> int:
        """What reaches the payee once the platform fee is kept."""
        return self.amount - self.fee_amount

    @property
    def reference(self) -> str:
        """What the payer writes on a bank transfer so it can be matched."""
        return f"TTO-{self.deal_id}-{self.id}"


class ProviderEvent(db.Model):
    """A payment provider's event that was verified and handled (once)."""

    __tablename__ = "payment_provider_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(20))
    event_id: Mapped[str] = mapped_column(sa.String(255))
    type: Mapped[str] = mapped_column(sa.String(100))
    livemode: Mapped[bool] = mapped_column(default=False)
    created: Mapped[datetime | None] = mapped_column(AwareDateTime())  # the provider's time
    payload: Mapped[dict] = mapped_column(sa.JSON)
    # received, then: recorded | duplicate_fact | not_paid | mismatch | unmatched | ignored
    outcome: Mapped[str] = mapped_column(sa.String(30))
    received_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("provider", "event_id",
                            name="uq_payment_provider_events_provider_event_id"),
    )


class LedgerEntry(db.Model):
    """One payment fact. Append-only: updates and deletes are refused."""

    __tablename__ = "payment_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("payment_requests.id", ondelete="RESTRICT"), index=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id", ondelete="RESTRICT"),
                                         index=True)
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind, 30))
    method: Mapped[Method | None] = mapped_column(enum_column(Method, 20))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    provider: Mapped[str | None] = mapped_column(sa.String(20))
    # The provider's object this fact is about: a Checkout Session, a refund, ...
    provider_ref: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    provider_payment_intent: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    provider_event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("payment_provider_events.id", ondelete="RESTRICT"))
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(300), unique=True)
    # The one-time nonce of the staff form that asked for this refund: the same form sent twice
    # (a double click, a reload) is recognised by it and gets the first answer.
    action_nonce: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    related_entry_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("payment_ledger.id", ondelete="RESTRICT"))
    reference: Mapped[str | None] = mapped_column(sa.String(100))   # bank transfer reference
    value_date: Mapped[date | None] = mapped_column(sa.Date)        # when the transfer was sent
    note: Mapped[str | None] = mapped_column(sa.Text)
    payload: Mapped[dict] = mapped_column(sa.JSON)
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id",
                                                                    ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    payment_request: Mapped[PaymentRequest] = relationship(back_populates="entries")
    actor: Mapped[User | None] = relationship()
    related: Mapped[LedgerEntry | None] = relationship(remote_side=[id])

    __table_args__ = _money_checks()

    label = label_of("kind")

    @property
    def method_label(self):
        return self.method.label if self.method else None

    @property
    def is_settlement(self) -> bool:
        return self.kind in MONEY_IN

    @property
    def receipt_no(self) -> str:
        return f"TTO-R-{self.created_at:%Y}-{self.id:06d}"


class StoredReceipt(db.Model):
    """A receipt as it was issued: the PDF and its SHA-256, kept for the books. A payment has
    one row per distinct receipt issued (a refund recorded later makes the next one differ)."""

    __tablename__ = "payment_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    ledger_entry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("payment_ledger.id", ondelete="RESTRICT"), index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    issued_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("ledger_entry_id", "sha256",
                            name="uq_payment_receipts_ledger_entry_id_sha256"),
    )


class TaxInvoice(db.Model):
    """The e-tax invoice (전자세금계산서) the payee issued through its own e-tax system for one
    payment request, as the payee recorded it here."""

    __tablename__ = "payment_tax_invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("payment_requests.id", ondelete="RESTRICT"), unique=True)
    approval_no: Mapped[str] = mapped_column(sa.String(24), unique=True)  # 국세청 승인번호
    issued_on: Mapped[date] = mapped_column(sa.Date)
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    payment_request: Mapped[PaymentRequest] = relationship()
    recorded_by: Mapped[User | None] = relationship()


def _refuse_change(mapper, connection, target):
    raise DomainError(_l("Recorded payments cannot be changed."))


append_only.refuse_orm_changes(_refuse_change, PaymentRequest, LedgerEntry, StoredReceipt,
                               TaxInvoice)
# An event's outcome is set in the transaction that records it; the row is never deleted.
sa_event.listen(ProviderEvent, "before_delete", _refuse_change)


append_only.guard(LedgerEntry.__table__)



class TaxInvoiceReminder(db.Model):
    """The e-mail that reminded the payee's members to record a request's tax invoice: one per
    request (the unique key), so the daily job never sends it twice."""

    __tablename__ = "payment_tax_invoice_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("payment_requests.id", ondelete="RESTRICT"), unique=True)
    sent_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
