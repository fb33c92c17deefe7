"""Who may read a listing's confidential text and files: its own organisation, staff for a
while after a recorded access (rows only ever added), and whoever a registered rule lets in
(e.g. the parties of a deal past its NDA)."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..accounts.models import User
from ..clock import utcnow
from ..db_types import AwareDateTime
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from .models import Listing

# The deal module adds predicates here: (listing, user) -> bool, e.g. "party to a deal on this
# listing whose NDA is signed". Any True opens the confidential section.
CONFIDENTIAL_ACCESS_RULES: list = []

# How long a recorded "view confidential" action keeps a listing's confidential section and
# files open to the staff member who took it (then it takes a new, recorded action).
STAFF_CONFIDENTIAL_MINUTES = 30
STAFF_CONFIDENTIAL_WINDOW = timedelta(minutes=STAFF_CONFIDENTIAL_MINUTES)
MAX_ACCESS_REASON = 500


class ConfidentialAccess(db.Model):
    """A staff member opened a listing's confidential section and files: who, which listing
    (and its version: what they saw), why and when. Rows are only ever added."""

    __tablename__ = "confidential_accesses"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        sa.ForeignKey("listings.id", ondelete="RESTRICT"), index=True)
    listing_version: Mapped[int]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"),
                                         index=True)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    listing: Mapped[Listing] = relationship()
    user: Mapped[User] = relationship()


def _refuse_access_change(mapper, connection, target):
    raise DomainError(_l("The record of confidential access cannot be changed."))


append_only.refuse_orm_changes(_refuse_access_change, ConfidentialAccess)
append_only.guard(ConfidentialAccess.__table__)


def record_confidential_access(listing: Listing, actor: User,
                               reason: str | None = None) -> ConfidentialAccess:
    """The explicit, recorded step by which staff open a listing's confidential details."""
    if not getattr(actor, "is_staff", False):
        raise PermissionDenied(_l("Only staff can do this."))
    reason = (reason or "").strip() or None
    if reason and len(reason) > MAX_ACCESS_REASON:
        raise DomainError(_l("The reason is too long."), {"reason": [
            _l("Use at most %(n)d characters.", n=MAX_ACCESS_REASON)]})
    access = ConfidentialAccess(listing_id=listing.id, listing_version=listing.version,
                                user_id=actor.id, reason=reason)
    db.session.add(access)
    db.session.flush()
    return access


def staff_access_until(listing: Listing, user) -> datetime | None:
    """Until when `user`'s latest recorded access keeps the listing's confidential details
    open to them (None when it does not)."""
    if listing.id is None or not getattr(user, "is_staff", False):
        return None
    latest = db.session.scalar(
        sa.select(ConfidentialAccess.created_at)
        .where(ConfidentialAccess.listing_id == listing.id, ConfidentialAccess.user_id == user.id)
        .order_by(ConfidentialAccess.created_at.desc()).limit(1))
    if latest is None:
        return None
    until = latest + STAFF_CONFIDENTIAL_WINDOW
    return until if until > utcnow() else None


def can_see_confidential(listing: Listing, user) -> bool:
    """Whether `user` may read the listing's confidential text and confidential attachments:
    members of the owning organisation, staff for a while after a recorded access, and whoever
    a registered rule lets in."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if listing.is_member(user) or staff_access_until(listing, user) is not None:
        return True
    return any(rule(listing, user) for rule in CONFIDENTIAL_ACCESS_RULES)


def register_confidential_access(rule):
    """Decorator/function for other modules: `rule(listing, user) -> bool`."""
    CONFIDENTIAL_ACCESS_RULES.append(rule)
    return rule
