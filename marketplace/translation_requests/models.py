from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..clock import utcnow
from ..db_types import AwareDateTime
from ..extensions import db
from ..listings.models import Listing


class TranslationRequest(db.Model):
    """One reader asking for one listing in one language (`lang`, the language it lacks)."""

    __tablename__ = "translation_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(sa.String(2))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    fulfilled_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    listing: Mapped[Listing] = relationship()
    requester: Mapped[User] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("listing_id", "requester_id", "lang",
                            name="uq_translation_requests_listing_requester_lang"),
        sa.Index("ix_translation_requests_open", "listing_id", "fulfilled_at"),
    )
