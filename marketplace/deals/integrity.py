"""Checking a deal's event chain from the database (`flask deals verify-log`, the staff
integrity page): every event's payload digest and hash recomputed, and the count of events
compared with the deal's `event_seq`."""

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..extensions import db
from .events import GENESIS, DealEvent, chain_hash, digest
from .models import Deal


@dataclass
class ChainReport:
    deal_id: int
    events: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(deal_id: int) -> ChainReport:
    """Recompute one deal's chain from the database (raw column values, nothing cached)."""
    report = ChainReport(deal_id)
    expected_count = db.session.scalar(sa.select(Deal.event_seq).where(Deal.id == deal_id))
    rows = db.session.scalars(sa.select(DealEvent).where(DealEvent.deal_id == deal_id)
                              .order_by(DealEvent.seq)
                              .execution_options(populate_existing=True)).all()
    prev_hash = GENESIS
    for position, event in enumerate(rows, start=1):
        report.events += 1
        if event.seq != position:
            report.problems.append(f"event {event.id}: sequence {event.seq}, expected {position}")
        if event.payload_digest != digest(event.payload):
            report.problems.append(f"event {event.id} (#{event.seq}): payload was changed")
        if event.prev_hash != prev_hash:
            report.problems.append(f"event {event.id} (#{event.seq}): previous hash does not "
                                   "match the event before it")
        if event.hash != chain_hash(event.prev_hash, event):
            report.problems.append(f"event {event.id} (#{event.seq}): content was changed")
        prev_hash = event.hash
    if expected_count is not None and expected_count != len(rows):
        report.problems.append(f"the deal recorded {expected_count} events, {len(rows)} remain")
    return report


def verify_all(deal_ids=None) -> list[ChainReport]:
    if deal_ids is None:
        deal_ids = db.session.scalars(sa.select(Deal.id).order_by(Deal.id)).all()
    return [verify(deal_id) for deal_id in deal_ids]
