"""Bookmarks: a user keeps listings to come back to; the desk counts them per listing.

Only a listing the user may see and that is published can be bookmarked, and never one of the
user's own organisation (its members have it under My listings; and the counts say how much
interest others show). Removing works whatever the listing became. The bookmarks page keeps a
bookmark whose listing was closed, hidden or archived, marked as such (`BookmarkView.state`),
so the user sees it went away and can remove it; a listing they may no longer see shows no
title.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..errors import Conflict, NotFound, PermissionDenied
from ..extensions import db
from ..listings.models import Listing, get_listing_or_404
from ..listings.vocabulary import ListingStatus
from .models import Bookmark

MAX_BOOKMARKS = 500


def _bookmark(user: User, listing_id: int) -> Bookmark | None:
    return db.session.scalar(sa.select(Bookmark).where(Bookmark.user_id == user.id,
                                                       Bookmark.listing_id == listing_id))


def can_bookmark(listing: Listing, user) -> bool:
    """Whether the bookmark button is offered: a published listing of another organisation."""
    return (getattr(user, "is_authenticated", False) and listing.is_public
            and not listing.is_member(user))


def add_bookmark(user: User, listing_id: int) -> tuple[Bookmark, bool]:
    """Bookmark the listing; (the bookmark, whether it is new). Bookmarking twice is fine."""
    listing = get_listing_or_404(listing_id, user)
    existing = _bookmark(user, listing.id)
    if existing is not None:
        return existing, False
    if listing.is_member(user):
        raise PermissionDenied(_l("Your organisation's own listings cannot be bookmarked."))
    if not listing.is_public:
        raise Conflict(_l("Only a published listing can be bookmarked."))
    count = db.session.scalar(sa.select(sa.func.count(Bookmark.id)).where(
        Bookmark.user_id == user.id))
    if count >= MAX_BOOKMARKS:
        raise Conflict(_l("You can keep at most %(n)s bookmarks. Remove one first.",
                          n=MAX_BOOKMARKS))
    bookmark = Bookmark(user_id=user.id, listing_id=listing.id)
    db.session.add(bookmark)
    db.session.flush()
    return bookmark, True


def remove_bookmark(user: User, listing_id: int) -> None:
    """Remove the user's bookmark of the listing; 404 when they have none."""
    bookmark = _bookmark(user, listing_id)
    if bookmark is None:
        raise NotFound(_l("You have not bookmarked this listing."))
    db.session.delete(bookmark)
    db.session.flush()


def toggle_bookmark(user: User, listing_id: int) -> bool:
    """Bookmark the listing, or remove the bookmark; True when it is bookmarked now."""
    if _bookmark(user, listing_id) is not None:
        remove_bookmark(user, listing_id)
        return False
    add_bookmark(user, listing_id)
    return True


def is_bookmarked(user, listing_id: int) -> bool:
    return getattr(user, "is_authenticated", False) and _bookmark(user, listing_id) is not None


@dataclass
class BookmarkView:
    bookmark: Bookmark
    listing: Listing
    state: str  # "available" | "closed" | "hidden" | "gone"

    @property
    def shows_title(self) -> bool:
        return self.state != "gone"


def _state(listing: Listing, user: User) -> str:
    if not listing.is_visible_to(user):
        return "gone"
    if listing.is_public:
        return "available"
    if listing.is_hidden:
        return "hidden"
    return "closed" if listing.status == ListingStatus.closed else "gone"


def view_of(bookmark: Bookmark, user: User) -> BookmarkView:
    return BookmarkView(bookmark, bookmark.listing, _state(bookmark.listing, user))


def bookmarks_of(user: User, limit: int | None = None, offset: int = 0) -> list[BookmarkView]:
    """The user's bookmarks, newest first, each with what became of its listing."""
    query = (sa.select(Bookmark).where(Bookmark.user_id == user.id)
             .options(selectinload(Bookmark.listing))
             .order_by(Bookmark.created_at.desc(), Bookmark.id.desc()).offset(offset))
    if limit is not None:
        query = query.limit(limit)
    return [view_of(b, user) for b in db.session.scalars(query)]


def bookmark_total(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count(Bookmark.id)).where(
        Bookmark.user_id == user.id)) or 0


def _start(since: date | datetime) -> datetime:
    """A date is its first moment in the platform's time zone (days count in Seoul)."""
    if isinstance(since, datetime):
        return since
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(since, time.min, tzinfo=zone)


def bookmark_counts(listing_ids: Iterable[int], since: date | datetime) -> dict[int, int]:
    """How many bookmarks each listing gained since `since` (a timezone-aware datetime, or a
    date: from its start in Seoul) that are still kept: {listing id: count}, every id asked
    for included (0 when none)."""
    ids = list(dict.fromkeys(listing_ids))
    counts = dict.fromkeys(ids, 0)
    if not ids:
        return counts
    rows = db.session.execute(
        sa.select(Bookmark.listing_id, sa.func.count(Bookmark.id))
        .where(Bookmark.listing_id.in_(ids), Bookmark.created_at >= _start(since))
        .group_by(Bookmark.listing_id))
    counts.update({listing_id: count for listing_id, count in rows})
    return counts
