import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..accounts.models import utcnow
from ..extensions import db


class OutboxMessage(db.Model):
    """One e-mail. Delivered by SMTP when configured; otherwise kept here and logged."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254), index=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="queued")  # queued|sent|logged
    created_at: Mapped[sa.DateTime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[sa.DateTime | None] = mapped_column(sa.DateTime(timezone=True))
