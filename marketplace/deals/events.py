"""The deal's append-only event log, chained by hash.

Each event stores a SHA-256 digest of its canonical-JSON payload and
`hash = SHA-256(prev_hash + canonical JSON of the event's content)`, where the content names the
deal, sequence number, kind, actor, organisation, states, payload digest, IP and time. Editing any
stored field of an old event, deleting one, or reordering them breaks the chain from that point
on; `integrity.verify` finds it. The deal's `event_seq` counts the events written, so a removed
tail shows.
"""

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..accounts.models import Organisation, User
from ..clock import utcnow
from ..db_types import AwareDateTime, DealRecord
from ..errors import DomainError
from ..extensions import db
from .states import EVENT_LABELS, DealState, SystemActor

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


def content(event: "DealEvent") -> dict:
    """What the hash covers (everything stored except the hashes themselves)."""
    return {
        "deal_id": event.deal_id, "seq": event.seq, "kind": event.kind,
        "actor_user_id": event.actor_user_id, "organisation_id": event.organisation_id,
        "from_state": event.from_state, "to_state": event.to_state,
        "payload_digest": event.payload_digest, "ip": event.ip,
        "created_at": _timestamp(event.created_at),
    }


def chain_hash(prev_hash: str, event: "DealEvent") -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(content(event))).hexdigest()


def _client_ip() -> str | None:
    if has_request_context():
        return (request.remote_addr or None) and request.remote_addr[:45]
    return None


def append(deal, kind: str, actor, payload: dict, *, source: DealState | None = None,
           target: DealState | None = None, touch: bool = True) -> "DealEvent":
    """Write the next event of `deal`. The caller holds the deal's row lock (`Deal._lock`)."""
    Deal = type(deal)
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



class DealEvent(DealRecord, db.Model):
    """An append-only record: `hash = SHA-256(prev_hash + canonical content)` per deal."""

    __tablename__ = "deal_events"

    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(40))
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id",
                                                                    ondelete="RESTRICT"))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    from_state: Mapped[str | None] = mapped_column(sa.String(20))
    to_state: Mapped[str | None] = mapped_column(sa.String(20))
    payload: Mapped[dict] = mapped_column(sa.JSON)
    payload_digest: Mapped[str] = mapped_column(sa.String(64))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    deal = relationship("Deal", back_populates="events")
    actor: Mapped[User | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("deal_id", "seq", name="uq_deal_events_deal_id_seq"),
        sa.CheckConstraint("seq >= 1", name="seq_positive"),
    )

    @property
    def label(self):
        return EVENT_LABELS.get(self.kind, self.kind)

    @property
    def from_label(self):
        return DealState(self.from_state).label if self.from_state else None

    @property
    def to_label(self):
        return DealState(self.to_state).label if self.to_state else None


def refuse_change(mapper, connection, target):
    raise DomainError(_l("Recorded deal history cannot be changed."))


append_only.refuse_orm_changes(refuse_change, DealEvent)
append_only.guard(DealEvent.__table__)
