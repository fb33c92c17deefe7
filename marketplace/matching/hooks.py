"""Keep matches current without the listings package knowing about matching.

Listings announce a listing whose status, version or moderation changed in a flush
(`domain_events.listing_changed`); a published listing, or one that left "published" or was
hidden or shown again, queues a recompute of its matches (sent after the commit by
`marketplace.jobs`, dropped on a rollback). Drafts that were only edited are ignored: they match
nobody.
"""

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy.orm import Session

from .. import domain_events, jobs
from ..extensions import db
from ..listings.models import Listing
from ..listings.vocabulary import ListingStatus
from .jobs import recompute_listing_job
from .settings import setting


def _changed(listing: Listing) -> bool:
    if listing.status == ListingStatus.published:
        return True
    # left "published" (closed, archived) or was hidden: it must drop out
    state = sa.inspect(listing)
    before = state.attrs.status.history.deleted
    return bool(before and before[0] == ListingStatus.published) or (
        state.attrs.hidden_at.history.has_changes())


def queue_recompute(listing: Listing, session: Session) -> None:
    """Queue one recompute per listing state and transaction, on the request's session only."""
    if not has_app_context() or session is not db.session() or not setting("MATCHING_AUTO"):
        return
    if listing.id is None or not _changed(listing):
        return
    key = (listing.id, listing.version, str(listing.status), listing.hidden_at is None)
    jobs.enqueue_once(key, recompute_listing_job, listing.id)


def init_app(app) -> None:
    domain_events.listing_changed.connect(queue_recompute, weak=False)
