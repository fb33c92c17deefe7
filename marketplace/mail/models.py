"""Outgoing e-mail: every message is written to an outbox row and delivered by a job."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..db_types import AwareDateTime
from ..extensions import db


class OutboxMessage(db.Model):
    """One e-mail. Delivered by SMTP when configured; otherwise kept here and logged.

    The stored body never holds a secret: where a message carries one (a password reset link),
    the body holds `MASK` in its place and `secret` names what delivery writes in."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254), index=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    secret: Mapped[str | None] = mapped_column(sa.String(40))
    deal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deals.id", ondelete="SET NULL"),
                                                index=True)
    # queued | sent | logged | dropped (its secret could no longer be issued)
    status: Mapped[str] = mapped_column(sa.String(20), default="queued")
    created_at: Mapped[sa.DateTime] = mapped_column(AwareDateTime(), default=utcnow)
    sent_at: Mapped[sa.DateTime | None] = mapped_column(AwareDateTime())

    deal = relationship("Deal")

    def readable_by(self, user) -> bool:
        """A deal's e-mail is deal content: only the staff assigned to the deal read it."""
        return self.deal_id is None or (self.deal is not None and self.deal.is_deal_staff(user))
