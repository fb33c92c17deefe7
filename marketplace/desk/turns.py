"""What waits on a user: the steps of their organisation's deals whose turn is theirs.

Each feature answers for its own steps with the same rule its page uses to offer them: the deal
(`Deal.turn_of`: answer an inquiry, confirm the NDA, answer an offer), its current contract
(`Contract.turn_of`: approve, sign) and its payment requests (`Balance.turn_of`: pay, confirm a
bank transfer). Here they are only gathered, for all of the organisation's deals at once, in a
fixed number of queries however many deals there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..agreements.models import Contract
from ..deals.events import DealEvent
from ..deals.models import Deal
from ..deals.states import DealState
from ..deals.terms import DealTerms
from ..extensions import db
from ..payments import ledger
from ..payments.models import LedgerEntry, PaymentRequest

S = DealState
DEAL_STEP_STATES = (S.inquiry, S.nda, S.negotiating)
CONTRACT_STATES = (S.drafting, S.signing)
PAYMENT_STATES = (S.payment_pending, S.paid, S.partially_refunded)

#: Every kind of step, in the order a deal reaches them.
KINDS = ("answer_inquiry", "confirm_nda", "answer_offer", "approve_contract", "sign_contract",
         "pay", "confirm_transfer")


@dataclass(frozen=True)
class Turn:
    kind: str
    deal: Deal
    since: datetime
    #: What the step is about beyond the deal (a payment request), for the link.
    request_id: int | None = None

    @property
    def deal_id(self) -> int:
        return self.deal.id


def turns_for(user) -> list[Turn]:
    """The steps waiting on `user`'s organisation, oldest first."""
    org_id = getattr(user, "organisation_id", None)
    if org_id is None or not getattr(user, "is_active", False) or user.is_staff:
        return []
    deals = db.session.scalars(
        sa.select(Deal).options(joinedload(Deal.offering))
        .where(sa.or_(Deal.buyer_org_id == org_id, Deal.seller_org_id == org_id),
               Deal.state.in_(DEAL_STEP_STATES + CONTRACT_STATES + PAYMENT_STATES))).all()
    by_state: dict[DealState, list[Deal]] = {}
    for deal in deals:
        by_state.setdefault(deal.state, []).append(deal)
    found: list[Turn] = []
    found += _deal_steps(user, by_state)
    found += _contract_steps(user, [d for s in CONTRACT_STATES for d in by_state.get(s, [])])
    found += _payment_steps(user, [d for s in PAYMENT_STATES for d in by_state.get(s, [])])
    return sorted(found, key=lambda t: (t.since, t.deal.id, KINDS.index(t.kind)))


def _deal_steps(user, by_state) -> list[Turn]:
    negotiating = by_state.get(S.negotiating, [])
    offers = {}
    if negotiating:
        offers = {t.deal_id: t for t in db.session.scalars(
            sa.select(DealTerms).join(Deal, sa.and_(Deal.id == DealTerms.deal_id,
                                                   Deal.current_version == DealTerms.version))
            .where(DealTerms.deal_id.in_([d.id for d in negotiating])))}
    in_nda = by_state.get(S.nda, [])
    nda_since = {}
    if in_nda:
        nda_since = dict(db.session.execute(
            sa.select(DealEvent.deal_id, sa.func.max(DealEvent.created_at))
            .where(DealEvent.deal_id.in_([d.id for d in in_nda]),
                   DealEvent.to_state == S.nda.value)
            .group_by(DealEvent.deal_id)).all())
    found = []
    for deal in by_state.get(S.inquiry, []) + in_nda + negotiating:
        side = deal.side_of(user)
        offer = offers.get(deal.id)
        kind = deal.turn_of(side, offer.author_side if offer else None)
        if kind == "answer_inquiry":
            found.append(Turn(kind, deal, deal.created_at))
        elif kind == "confirm_nda":
            found.append(Turn(kind, deal, nda_since.get(deal.id) or deal.created_at))
        elif kind == "answer_offer" and offer is not None:
            found.append(Turn(kind, deal, offer.created_at))
    return found


def _contract_steps(user, deals: list[Deal]) -> list[Turn]:
    if not deals:
        return []
    latest: dict[int, Contract] = {}
    for contract in db.session.scalars(
            sa.select(Contract).options(selectinload(Contract.approvals),
                                        selectinload(Contract.signatures))
            .where(Contract.deal_id.in_([d.id for d in deals]))):
        if contract.deal_id not in latest or contract.version > latest[contract.deal_id].version:
            latest[contract.deal_id] = contract
    found = []
    for deal in deals:
        contract = latest.get(deal.id)
        kind = contract.turn_of(deal.side_of(user)) if contract is not None else None
        if kind == "approve_contract":
            found.append(Turn(kind, deal, contract.created_at))
        elif kind == "sign_contract":
            found.append(Turn(kind, deal, contract.rendered_at or contract.created_at))
    return found


def _payment_steps(user, deals: list[Deal]) -> list[Turn]:
    if not deals:
        return []
    ids = [d.id for d in deals]
    requests = db.session.scalars(sa.select(PaymentRequest).where(
        PaymentRequest.deal_id.in_(ids)).order_by(PaymentRequest.id)).all()
    entries: dict[int, list[LedgerEntry]] = {}
    for entry in db.session.scalars(sa.select(LedgerEntry).where(
            LedgerEntry.deal_id.in_(ids)).order_by(LedgerEntry.id)):
        entries.setdefault(entry.payment_request_id, []).append(entry)
    deal_of = {d.id: d for d in deals}
    oldest: dict[tuple[int, str], Turn] = {}
    for req in requests:
        deal = deal_of[req.deal_id]
        current = ledger.balance(req, entries.get(req.id, []))
        kind = current.turn_of(deal.side_of(user), deal.state)
        if kind is None:
            continue
        since = (min(e.created_at for e in current.pending_transfers)
                 if kind == "confirm_transfer" else req.created_at)
        key = (deal.id, kind)
        if key not in oldest or since < oldest[key].since:
            oldest[key] = Turn(kind, deal, since, req.id)
    return list(oldest.values())
