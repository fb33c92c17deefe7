"""What each payment request owes, derived from its append-only ledger rows; writing one fact;
the deal's row lock every change to its payments takes first; and the lookups that keep a
viewer to the deals they may see.

Services flush; the caller commits once (a view, the webhook, a job). Every change to a deal's
payments first takes the deal's row lock, so the webhook, the success page and a staff refund
touching one deal run one after the other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..deals import services as deal_services
from ..deals.events import canonical
from ..deals.models import SYSTEM, Deal, DealState, Side
from ..deals.states import REFUND_STATES
from ..errors import Conflict, DomainError, NotFound, PermissionDenied
from ..extensions import db
from ..labels import LabelledEnum
from .models import (
    MONEY_IN,
    MONEY_OUT,
    REFUND_UNDONE,
    EntryKind,
    LedgerEntry,
    Method,
    PaymentRequest,
    ProviderEvent,
)
from .plan import local_today

MAX_REFERENCE = 100
#: Deal states in which the payer is offered to pay what a request still owes.
PAYABLE_STATES = (DealState.payment_pending, DealState.paid)
MAX_NOTE = 2000


def lock_deal(deal_id: int) -> Deal:
    """The deal's row lock (the same no-op UPDATE the deal's own transitions take), reloaded."""
    db.session.execute(sa.update(Deal).where(Deal.id == deal_id)
                       .values(event_seq=Deal.event_seq)
                       .execution_options(synchronize_session=False))
    return db.session.execute(sa.select(Deal).where(Deal.id == deal_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()


def requests_of(deal_id: int) -> list[PaymentRequest]:
    return list(db.session.scalars(sa.select(PaymentRequest)
                                   .where(PaymentRequest.deal_id == deal_id)
                                   .order_by(PaymentRequest.terms_version, PaymentRequest.seq)))


# ---- what each request owes ---------------------------------------------------------------

@dataclass
class CardPayment:
    entry: LedgerEntry
    refunded: int = 0

    @property
    def refundable(self) -> int:
        return max(self.entry.amount - self.refunded, 0)


@dataclass
class Balance:
    request: PaymentRequest
    entries: list[LedgerEntry] = field(default_factory=list)
    received: int = 0
    refunded: int = 0
    pending_transfers: list[LedgerEntry] = field(default_factory=list)
    card_payments: list[CardPayment] = field(default_factory=list)
    #: Confirmed bank transfers with what staff recorded as given back by transfer.
    transfer_payments: list[CardPayment] = field(default_factory=list)
    settlements: list[LedgerEntry] = field(default_factory=list)
    open_checkout: LedgerEntry | None = None

    @property
    def paid(self) -> int:
        return self.received - self.refunded

    @property
    def outstanding(self) -> int:
        return max(self.request.amount - self.paid, 0)

    @property
    def settled(self) -> bool:
        return self.paid >= self.request.amount

    @property
    def overdue(self) -> bool:
        return not self.settled and self.request.due_date < local_today()

    def turn_of(self, side: Side | None, deal_state: DealState) -> str | None:
        """The step of this request that waits on `side`, as the deal's payments page offers
        it: the payee (seller) confirms a declared bank transfer ("confirm_transfer"); the payer
        (buyer) pays what is still owed while nothing it declared awaits an answer ("pay")."""
        if side == Side.seller:
            return "confirm_transfer" if self.pending_transfers else None
        if side == Side.buyer and not self.settled and not self.pending_transfers \
                and deal_state in PAYABLE_STATES:
            return "pay"
        return None

    @property
    def status(self) -> Status:
        if self.settled:
            return Status.refunded_part if self.refunded else Status.paid
        if self.refunded and self.paid <= 0:
            return Status.refunded
        if self.pending_transfers:
            return Status.transfer_declared
        if self.paid > 0:
            return Status.part_paid
        return Status.overdue if self.overdue else Status.awaiting


class Status(LabelledEnum):
    """Where a request stands, derived from its ledger (`Balance.status`)."""
    paid = "paid", _l("Paid")
    refunded_part = "refunded_part", _l("Paid (partly refunded, still covered)")
    refunded = "refunded", _l("Refunded")
    transfer_declared = "transfer_declared", _l("Bank transfer declared, awaiting confirmation")
    part_paid = "part_paid", _l("Partly paid")
    overdue = "overdue", _l("Overdue")
    awaiting = "awaiting", _l("Awaiting payment")


def balance(req: PaymentRequest, entries: list[LedgerEntry] | None = None) -> Balance:
    """Everything about one request, derived from its ledger rows (never stored)."""
    if entries is None:
        entries = list(db.session.scalars(sa.select(LedgerEntry).where(
            LedgerEntry.payment_request_id == req.id).order_by(LedgerEntry.id)))
    result = Balance(req, entries)
    answered = {e.related_entry_id for e in entries
                if e.kind in (EntryKind.transfer_confirmed, EntryKind.transfer_rejected)}
    closed_sessions = {e.provider_ref for e in entries
                       if e.kind in (EntryKind.expired, EntryKind.succeeded)}
    cards: dict[str, CardPayment] = {}
    refunds_by_intent: dict[str | None, int] = {}
    now = datetime.now(UTC).timestamp()
    for entry in entries:
        if entry.kind in MONEY_IN:
            result.received += entry.amount
            result.settlements.append(entry)
        elif entry.kind in MONEY_OUT or entry.kind in REFUND_UNDONE:
            sign = 1 if entry.kind in MONEY_OUT else -1
            result.refunded += sign * entry.amount
            refunds_by_intent[entry.provider_payment_intent] = \
                refunds_by_intent.get(entry.provider_payment_intent, 0) + sign * entry.amount
        if entry.kind == EntryKind.succeeded and entry.provider_payment_intent:
            cards[entry.provider_payment_intent] = CardPayment(entry)
        if entry.kind == EntryKind.transfer_declared and entry.id not in answered:
            result.pending_transfers.append(entry)
        if entry.kind == EntryKind.checkout_created and entry.provider_ref not in closed_sessions \
                and (entry.payload or {}).get("expires_at", 0) > now + 60:
            result.open_checkout = entry
    for intent, card in cards.items():
        card.refunded = refunds_by_intent.get(intent, 0)
    result.card_payments = list(cards.values())
    transfers = {e.id: CardPayment(e) for e in entries if e.kind == EntryKind.transfer_confirmed}
    for entry in entries:
        if entry.kind in MONEY_OUT and entry.method == Method.bank_transfer \
                and entry.related_entry_id in transfers:
            transfers[entry.related_entry_id].refunded += entry.amount
    result.transfer_payments = list(transfers.values())
    return result


def balances(deal_id: int) -> list[Balance]:
    reqs = requests_of(deal_id)
    entries = list(db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.deal_id == deal_id).order_by(LedgerEntry.id)))
    return [balance(r, [e for e in entries if e.payment_request_id == r.id]) for r in reqs]


def ledger_of(deal_id: int) -> list[LedgerEntry]:
    return list(db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.deal_id == deal_id)
                                   .order_by(LedgerEntry.id)))


def settle_deal(deal_id: int) -> None:
    """Once every request of a deal is covered, the deal is paid."""
    deal = db.session.get(Deal, deal_id)
    if deal.state != DealState.payment_pending:
        return
    all_balances = balances(deal_id)
    if all_balances and all(b.settled for b in all_balances):
        deal.mark_paid(SYSTEM, {"requests": [
            {"id": b.request.id, "amount": b.request.amount, "paid": b.paid}
            for b in all_balances], "currency": all_balances[0].request.currency})


# ---- the ledger ---------------------------------------------------------------------------

def append(req: PaymentRequest, kind: EntryKind, amount: int, *, currency: str | None = None,
           method: Method | None = None, provider: str | None = None,
           provider_ref: str | None = None, payment_intent: str | None = None,
           provider_event: ProviderEvent | None = None, dedupe_key: str | None = None,
           related: LedgerEntry | None = None, reference: str | None = None,
           value_date: date | None = None, note: str | None = None,
           payload: dict | None = None, actor=None,
           action_nonce: str | None = None) -> LedgerEntry | None:
    """Write one fact; None when the same fact (its `dedupe_key`) is already recorded.
    The caller holds the deal's lock."""
    if dedupe_key and db.session.scalar(sa.select(LedgerEntry.id).where(
            LedgerEntry.dedupe_key == dedupe_key)):
        return None
    if int(amount) <= 0:
        raise DomainError(_l("A payment amount must be greater than zero."))
    entry = LedgerEntry(
        payment_request_id=req.id, deal_id=req.deal_id, kind=kind, method=method,
        amount=int(amount), currency=(currency or req.currency).upper(), provider=provider,
        provider_ref=provider_ref, provider_payment_intent=payment_intent,
        provider_event_id=provider_event.id if provider_event is not None else None,
        dedupe_key=dedupe_key, related_entry_id=related.id if related is not None else None,
        reference=reference, value_date=value_date, note=note,
        payload=as_json(payload or {}), action_nonce=action_nonce,
        actor_user_id=getattr(actor, "id", None))
    db.session.add(entry)
    db.session.flush()
    return entry


def as_json(value):
    """Plain JSON types only (dates as ISO strings), as the row stores them."""
    return json.loads(canonical(value))


# ---- scoped lookups -----------------------------------------------------------------------

def _visible_or_404(model, row_id: int, user):
    row = db.session.get(model, row_id)
    if row is None:
        raise NotFound(_l("This payment does not exist."))
    deal_services.deal_for_viewer_or_404(row.deal_id, user)
    return row


def request_for_viewer_or_404(request_id: int, user) -> PaymentRequest:
    """The request when `user` may see its deal; NotFound otherwise (existing or not)."""
    return _visible_or_404(PaymentRequest, request_id, user)


def entry_for_viewer_or_404(entry_id: int, user) -> LedgerEntry:
    return _visible_or_404(LedgerEntry, entry_id, user)


def require_payer(req: PaymentRequest, user) -> None:
    if req.deal.side_of(user) != Side.buyer:
        raise PermissionDenied(_l("Only the paying side of the deal can do this."))


def require_payee(req: PaymentRequest, user) -> None:
    if req.deal.side_of(user) != Side.seller:
        raise PermissionDenied(_l("Only the receiving side of the deal can do this."))


def require_payable(req: PaymentRequest) -> Balance:
    state = db.session.get(Deal, req.deal_id).state
    if state not in (DealState.payment_pending, DealState.paid):
        raise Conflict(_l("This deal is not waiting for payment."))
    current = balance(req)
    if current.settled:
        raise Conflict(_l("This payment has already been made."))
    return current


def follow_refunds(deal_id: int) -> None:
    """After a refund is recorded (or undone): a paid deal becomes `refunded` when everything
    received went back, `partially_refunded` when some did, and `paid` again when none did."""
    deal = db.session.get(Deal, deal_id)
    if deal.state not in REFUND_STATES:
        return
    rows = balances(deal_id)
    received, refunded = sum(b.received for b in rows), sum(b.refunded for b in rows)
    target = DealState.refunded if received and refunded >= received \
        else DealState.partially_refunded if refunded > 0 else DealState.paid
    if target == deal.state:
        return
    deal.follow_refunds(SYSTEM, target, {"received": received, "refunded": refunded,
                                         "currency": rows[0].request.currency})


def close_deal(deal: Deal, user) -> None:
    lock_deal(deal.id)
    if deal.state not in (DealState.paid, DealState.partially_refunded):
        raise Conflict(_l("A deal can be closed here once it is paid."))
    deal.close(user, {"payments": [b.request.id for b in balances(deal.id)]})
