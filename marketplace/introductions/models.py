from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation, User
from ..clock import utcnow
from ..db_types import AwareDateTime
from ..extensions import db
from ..labels import LabelledEnum


class IntroductionState(LabelledEnum):
    requested = "requested", _l("Asked")
    accepted = "accepted", _l("Accepted by the startup")
    declined = "declined", _l("Declined by the startup")
    arranged = "arranged", _l("Arranged by staff")


OPEN_STATES = (IntroductionState.requested, IntroductionState.accepted,
               IntroductionState.arranged)


OPEN_CONDITION = "state IN ('requested', 'accepted', 'arranged')"


class Introduction(db.Model):
    __tablename__ = "introductions"

    id: Mapped[int] = mapped_column(primary_key=True)
    investor_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    startup_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    note: Mapped[str] = mapped_column(sa.Text)
    proposed_times: Mapped[str | None] = mapped_column(sa.String(500))
    state: Mapped[str] = mapped_column(sa.String(20), default=IntroductionState.requested.value)
    answer: Mapped[str | None] = mapped_column(sa.Text)  # the startup's or staff's words
    meeting: Mapped[str | None] = mapped_column(sa.String(500))  # when and where, once agreed
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id",
                                                                    ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    deal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deals.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    investor: Mapped[Organisation] = relationship(foreign_keys=[investor_org_id])
    startup: Mapped[Organisation] = relationship(foreign_keys=[startup_org_id])
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])

    __table_args__ = (
        # One open introduction per investor and startup (two asks at once: one wins).
        sa.Index("uq_introductions_open_pair", "investor_org_id", "startup_org_id", unique=True,
                 sqlite_where=sa.text(OPEN_CONDITION), postgresql_where=sa.text(OPEN_CONDITION)),
    )

    @property
    def state_label(self):
        return IntroductionState(self.state).label

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def side_of(self, user) -> str | None:
        org_id = getattr(user, "organisation_id", None)
        if org_id == self.investor_org_id:
            return "investor"
        if org_id == self.startup_org_id:
            return "startup"
        return None
