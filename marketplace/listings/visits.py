"""Who looked at a listing: one row per listing, viewing organisation and day (in the
platform's time zone), so the owner sees how many organisations opened it lately.

Only a signed-in member of another organisation counts (not the owner, not staff, not an
anonymous visitor); opening the page again the same day adds nothing. Writing is one
insert-if-absent, so the listing page stays one statement away from what it was.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class ListingView(db.Model):
    __tablename__ = "listing_views"

    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"),
                                            primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)

    __table_args__ = (sa.Index("ix_listing_views_listing_id_day", "listing_id", "day"),)


def local_day(moment: datetime | None = None) -> date:
    """The day in the platform's time zone (Seoul) of `moment` (default: now)."""
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return (moment.astimezone(tz) if moment is not None else datetime.now(tz)).date()


def counts(listing, viewer) -> bool:
    """Whether `viewer` opening `listing` is a view its owner should see counted."""
    org_id = getattr(viewer, "organisation_id", None)
    return bool(viewer is not None and getattr(viewer, "is_authenticated", False)
                and org_id is not None and org_id != listing.organisation_id
                and not getattr(viewer, "is_staff", False))


def record_view(listing, viewer) -> bool:
    """Note that `viewer`'s organisation opened `listing` today (once a day); flushes only.
    True when a view was counted."""
    if not counts(listing, viewer):
        return False
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(insert(ListingView).values(
        listing_id=listing.id, organisation_id=viewer.organisation_id, day=local_day())
        .on_conflict_do_nothing())
    return True


def distinct_viewers(listing_ids, since: date) -> dict[int, int]:
    """{listing_id: number of distinct organisations that opened it on or after `since`}."""
    ids = list(listing_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(ListingView.listing_id,
                  sa.func.count(sa.distinct(ListingView.organisation_id)))
        .where(ListingView.listing_id.in_(ids), ListingView.day >= since)
        .group_by(ListingView.listing_id))
    return {listing_id: count for listing_id, count in rows}
