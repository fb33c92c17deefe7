"""City staff review a contract draft when a party asks: the request puts the deal in the help
queue (staff read a deal's contract only once assigned to it), the staff member who takes the
deal on writes the review, and both sides hear of it through the deal's own notices."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .. import audit
from ..clock import utcnow
from ..errors import Conflict, PermissionDenied, checked_text
from ..extensions import db
from .models import Contract, ContractStatus

MAX_TEXT = 4000
REVIEWABLE = (ContractStatus.draft, ContractStatus.approved, ContractStatus.rendered)


def _text(name: str, value: str | None, required: bool) -> str | None:
    return checked_text(value, name, MAX_TEXT, too_long=_l("The text is too long."),
                        missing=_l("Write what the staff member found.") if required else None)


def request_review(contract: Contract, actor, note: str | None) -> Contract:
    """A party asks staff to review this version before it is signed."""
    deal = contract.deal
    if deal.side_of(actor) is None:
        raise PermissionDenied(_l("Only the parties to the deal ask for a review."))
    if contract.status not in REVIEWABLE:
        raise Conflict(_l("Only a contract that nobody has signed yet can be reviewed."))
    if contract.review_pending:
        raise Conflict(_l("Staff have already been asked to review this contract."))
    contract.review_requested_at = utcnow()
    contract.review_note = _text("note", note, required=False)
    deal.record_event("contract_review_request", actor, {
        "contract_id": contract.id, "version": contract.version, "note": contract.review_note})
    if deal.assigned_staff_id is None and deal.help_requested_at is None:
        deal.request_help(actor, contract.review_note or str(_l("Please review the contract "
                                                               "draft.")))
    db.session.flush()
    return contract


def review(contract: Contract, actor, comment: str) -> Contract:
    """The staff member assigned to the deal answers the request."""
    deal = contract.deal
    if not getattr(actor, "is_staff", False) or deal.assigned_staff_id != actor.id:
        raise PermissionDenied(_l("Take the deal on from the help queue before you review "
                                  "its contract."))
    if not contract.review_pending:
        raise Conflict(_l("Nobody is waiting for a review of this contract."))
    contract.review_comment = _text("comment", comment, required=True)
    contract.reviewed_at, contract.reviewed_by_id = utcnow(), actor.id
    deal.record_event("contract_reviewed", actor, {
        "contract_id": contract.id, "version": contract.version,
        "comment": contract.review_comment})
    audit.record(actor, "contract_reviewed", contract)
    db.session.flush()
    return contract


_WAITING = (Contract.review_requested_at.is_not(None),
            sa.or_(Contract.reviewed_at.is_(None),
                   Contract.reviewed_at < Contract.review_requested_at),
            Contract.status.in_(REVIEWABLE))


def pending_reviews() -> list[Contract]:
    """Contracts waiting for a staff review, the longest waiting first."""
    return list(db.session.scalars(sa.select(Contract).where(*_WAITING)
                                   .order_by(Contract.review_requested_at)))


def pending_count() -> int:
    """How many contracts wait for a review (one COUNT; the console shows it on every visit)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Contract).where(*_WAITING))
