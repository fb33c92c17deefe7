"""Saved searches, the listings already announced for each, and bookmarks."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..clock import utcnow
from ..db_types import AwareDateTime, enum_column, listing_id_column
from ..extensions import db
from ..listings.models import Listing
from ..listings.vocabulary import ListingKind

#: The browse filters a saved search keeps, by the names the browse page and the API use.
FILTERS = ("q", "sector", "trl_min", "trl_max", "deal_type", "lang")


class SavedSearch(db.Model):
    """A user's browse query (keywords and filters) over needs or offerings; its owner hears
    of each newly published listing that matches it. `lang` is the browse filter "written in"
    (a listing with a title in that language), not the language the owner reads."""

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[ListingKind] = mapped_column(enum_column(ListingKind))
    label: Mapped[str] = mapped_column(sa.String(200))
    q: Mapped[str] = mapped_column(sa.String(200), default="")
    sector: Mapped[str | None] = mapped_column(sa.String(30))
    trl_min: Mapped[int | None] = mapped_column(sa.SmallInteger)
    trl_max: Mapped[int | None] = mapped_column(sa.SmallInteger)
    deal_type: Mapped[str | None] = mapped_column(sa.String(30))
    lang: Mapped[str | None] = mapped_column(sa.String(2))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    user: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint("trl_min IS NULL OR (trl_min BETWEEN 1 AND 9)",
                           name="trl_min_range"),
        sa.CheckConstraint("trl_max IS NULL OR (trl_max BETWEEN 1 AND 9)",
                           name="trl_max_range"),
        sa.CheckConstraint("trl_min IS NULL OR trl_max IS NULL OR trl_min <= trl_max",
                           name="trl_order"),
        sa.Index("ix_saved_searches_kind", "kind"),
    )

    def filters(self) -> dict:
        """The query as browse takes it: only the filters that are set."""
        values = {name: getattr(self, name) for name in FILTERS}
        return {name: value for name, value in values.items() if value not in (None, "")}


class SavedSearchHit(db.Model):
    """A listing a saved search was told about: at most once per (search, listing)."""

    __tablename__ = "saved_search_hits"

    id: Mapped[int] = mapped_column(primary_key=True)
    saved_search_id: Mapped[int] = mapped_column(
        sa.ForeignKey("saved_searches.id", ondelete="CASCADE"))
    listing_id: Mapped[int] = listing_id_column(index=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    __table_args__ = (sa.UniqueConstraint("saved_search_id", "listing_id",
                                          name="uq_saved_search_hits_search_listing"),)


class Bookmark(db.Model):
    """A listing a user keeps to come back to."""

    __tablename__ = "bookmarks"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    listing_id: Mapped[int] = listing_id_column()
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    listing: Mapped[Listing] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("user_id", "listing_id", name="uq_bookmarks_user_listing"),
        # bookmarks of a listing since a date (the desk's counts)
        sa.Index("ix_bookmarks_listing_id_created_at", "listing_id", "created_at"),
    )
