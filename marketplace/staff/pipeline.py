"""The deal pipeline: open deals by state, how long each has been in it, stuck longest first."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import render_template
from flask_login import current_user
from sqlalchemy.orm import aliased

from ..accounts.models import Organisation
from ..clock import utcnow
from ..deals.models import TERMINAL_STATES, Deal, DealEvent, DealState
from ..deals.services import listed_for
from ..deals.states import STATE_LABELS
from ..extensions import db
from .access import staff_required
from .blueprint import bp

BOARD_LIMIT = 500


def seen_by(user):
    """The deals whose header `user` sees: those listed for them (their assigned deals; every
    deal for admins) and, for staff, the ones waiting in the help queue."""
    waiting = sa.and_(Deal.help_requested_at.is_not(None), Deal.assigned_staff_id.is_(None),
                      Deal.state.not_in(TERMINAL_STATES))
    return sa.or_(listed_for(user), waiting) if user.is_staff else listed_for(user)


def pipeline_rows(user, limit: int = BOARD_LIMIT) -> list[dict]:
    """Open deals `user` sees, with when each entered its state (its last event into that
    state; its opening if none), stuck longest first: one query."""
    entered = sa.func.coalesce(
        sa.select(sa.func.max(DealEvent.created_at))
        .where(DealEvent.deal_id == Deal.id, DealEvent.to_state == Deal.state)
        .correlate(Deal).scalar_subquery(), Deal.created_at).label("entered")
    buyer, seller = aliased(Organisation), aliased(Organisation)
    rows = db.session.execute(
        sa.select(Deal.id, Deal.state, Deal.deal_type, Deal.assigned_staff_id,
                  Deal.help_requested_at, entered, buyer, seller)
        .join(buyer, buyer.id == Deal.buyer_org_id).join(seller, seller.id == Deal.seller_org_id)
        .where(Deal.state.not_in(TERMINAL_STATES), seen_by(user))
        .order_by(entered, Deal.id).limit(limit))
    now = utcnow()
    return [{"id": r.id, "state": r.state, "deal_type": r.deal_type, "buyer": r[6],
             "seller": r[7], "assigned": r.assigned_staff_id is not None,
             "help": r.help_requested_at is not None, "entered": _aware(r.entered),
             "days": (now - _aware(r.entered)).days} for r in rows]


def _aware(value: datetime) -> datetime:
    """SQLite hands back the coalesced timestamp without its zone."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def board(rows: list[dict]) -> list[tuple]:
    """[(state, label, rows)] for every open state, in the deal's order, rows oldest first."""
    open_states = [s for s in DealState if s not in TERMINAL_STATES]
    return [(s, STATE_LABELS[s], [r for r in rows if r["state"] == s]) for s in open_states]


@bp.route("/pipeline")
@staff_required
def pipeline():
    rows = pipeline_rows(current_user)
    return render_template("staff/pipeline.html", columns=board(rows), stuck=rows[:10],
                           state_labels=STATE_LABELS, limited=len(rows) >= BOARD_LIMIT)
