"""The deal's append-only event log, chained by hash.

Each event stores a SHA-256 digest of its canonical-JSON payload and
`hash = SHA-256(prev_hash + canonical JSON of the event's content)`, where the content names the
deal, sequence number, kind, actor, organisation, states, payload digest, IP and time. Editing any
stored field of an old event, deleting one, or reordering them breaks the chain from that point
on; `verify` finds it. The deal's `event_seq` counts the events written, so a removed tail shows.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import has_request_context, request

from ..clock import utcnow
from ..extensions import db
from .models import Deal, DealEvent, DealState, SystemActor

GENESIS = "0" * 64


def canonical(value) -> bytes:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_plain).encode("utf-8")


def _plain(value):
    if isinstance(value, datetime):
        return _timestamp(value)
    return str(value)  # enums, lazy strings, decimals


def digest(value) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content(event: DealEvent) -> dict:
    """What the hash covers (everything stored except the hashes themselves)."""
    return {
        "deal_id": event.deal_id, "seq": event.seq, "kind": event.kind,
        "actor_user_id": event.actor_user_id, "organisation_id": event.organisation_id,
        "from_state": event.from_state, "to_state": event.to_state,
        "payload_digest": event.payload_digest, "ip": event.ip,
        "created_at": _timestamp(event.created_at),
    }


def chain_hash(prev_hash: str, event: DealEvent) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(content(event))).hexdigest()


def _client_ip() -> str | None:
    if has_request_context():
        return (request.remote_addr or None) and request.remote_addr[:45]
    return None


def append(deal: Deal, kind: str, actor, payload: dict, *, source: DealState | None = None,
           target: DealState | None = None, touch: bool = True) -> DealEvent:
    """Write the next event of `deal`. The caller holds the deal's row lock (`Deal._lock`)."""
    payload = json.loads(canonical(payload))  # plain JSON types only, as stored
    now = utcnow()
    values = {"event_seq": Deal.event_seq + 1}
    if touch:
        values["last_activity_at"] = now
    db.session.flush()
    db.session.execute(sa.update(Deal).where(Deal.id == deal.id).values(**values)
                       .execution_options(synchronize_session=False))
    seq = db.session.scalar(sa.select(Deal.event_seq).where(Deal.id == deal.id))
    db.session.refresh(deal, ["event_seq", "last_activity_at"])
    prev_hash = db.session.scalar(
        sa.select(DealEvent.hash).where(DealEvent.deal_id == deal.id, DealEvent.seq == seq - 1)
    ) if seq > 1 else GENESIS
    system = isinstance(actor, SystemActor)
    event = DealEvent(
        deal_id=deal.id, seq=seq, kind=kind,
        actor_user_id=None if system else actor.id,
        organisation_id=None if system else actor.organisation_id,
        from_state=source.value if source else None, to_state=target.value if target else None,
        payload=payload, payload_digest=digest(payload), ip=None if system else _client_ip(),
        created_at=now, prev_hash=prev_hash or GENESIS)
    event.hash = chain_hash(event.prev_hash, event)
    db.session.add(event)
    db.session.flush()
    return event


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
