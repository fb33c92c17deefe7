"""Telling the owners of saved searches about a newly published listing that matches them.

When a listing becomes public (published, or shown again by staff), the flush that does it
queues `announce_listing` (`domain_events.listing_changed`, the signal matching listens to);
the job runs after the commit, so publishing stays fast. It reads the listing as it is then
(a listing hidden or closed meanwhile is told to nobody), picks the saved searches whose filters
it passes in one query, and checks each one's keywords against the listing's rows in the search
index (`listing_terms`): the terms browse looks up, so a saved search finds a listing exactly
when running it on the browse page would. Each (saved search, listing) is told once
(`saved_search_hits`, unique): running the job twice, or publishing again after a close, tells
nobody twice. Owners in the listing's own organisation are never told.
"""

import sqlalchemy as sa
from flask import has_app_context
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload

from .. import domain_events, jobs
from ..extensions import db
from ..listings.models import Listing, ListingTerm
from ..listings.vocabulary import ListingKind, ListingStatus
from ..notifications import notify, register_kind
from ..notifications.services import Rendered
from .models import SavedSearch, SavedSearchHit
from .searches import candidates, keywords_match

KIND = "saved_search"


@jobs.job(queue="default", timeout=300, retries=3)
def announce_listing(listing_id: int) -> int:
    """Notify the owner of each saved search the listing matches and that was not told of it
    yet; returns how many were told. Idempotent."""
    listing = db.session.get(Listing, listing_id)
    if listing is None or not listing.is_public:
        return 0
    terms = set(db.session.scalars(sa.select(ListingTerm.term).where(
        ListingTerm.listing_id == listing.id)))
    told = set(db.session.scalars(sa.select(SavedSearchHit.saved_search_id).where(
        SavedSearchHit.listing_id == listing.id)))
    count = 0
    searches = candidates(listing).options(selectinload(SavedSearch.user))
    for search in db.session.scalars(searches):
        if search.id in told or not keywords_match(search.q, terms):
            continue
        db.session.add(SavedSearchHit(saved_search_id=search.id, listing_id=listing.id))
        notify(search.user, KIND, ("listing", listing.id), saved_search_id=search.id,
               label=search.label)
        count += 1
    db.session.flush()  # the unique pair refuses a run that raced this one: it is retried
    return count


@register_kind(KIND, _l("A new listing matches one of your saved searches"))
def _render(notice) -> Rendered | None:
    listing = db.session.get(Listing, notice.subject_id)
    if listing is None or listing.is_hidden or listing.status not in (ListingStatus.published,
                                                                      ListingStatus.closed):
        return None  # gone from public view since: the notice goes too
    endpoint = "listings.need" if listing.kind == ListingKind.need else "listings.offering"
    title = gettext("A new listing matches your saved search “%(search)s”: %(title)s",
                    search=notice.data.get("label") or "—", title=listing.title)
    return Rendered(title, endpoint, {"listing_id": listing.id})


# -- queueing on publish ------------------------------------------------------------------------


def _became_public(listing: Listing) -> bool:
    if not listing.is_public:
        return False
    state = sa.inspect(listing)
    status = state.attrs.status.history
    hidden = state.attrs.hidden_at.history
    newly_published = status.has_changes() and ListingStatus.published not in (
        status.deleted or ())
    shown_again = hidden.has_changes() and any(v is not None for v in hidden.deleted or ())
    return newly_published or shown_again


def queue_announcement(listing: Listing, session: Session) -> None:
    """Queue the job once per listing and transaction, on the request's session only."""
    if not has_app_context() or session is not db.session() or listing.id is None:
        return
    if not _became_public(listing):
        return
    jobs.enqueue_once(listing.id, announce_listing, listing.id)


def init_app(app) -> None:
    domain_events.listing_changed.connect(queue_announcement, weak=False)

