"""Keep matches current without the listings package knowing about matching.

After each flush, a listing whose status, version or moderation changed queues a recompute of
its matches (sent after the commit by `marketplace.jobs`, dropped on a rollback). Drafts that
were only edited are ignored: they match nobody.
"""

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from .. import jobs
from ..extensions import db
from ..listings.models import Listing
from ..listings.vocabulary import ListingStatus
from .jobs import recompute_listing_job
from .settings import setting

QUEUED = "matching_queued"
WATCHED = ("status", "version", "hidden_at")


def _changed(listing: Listing) -> bool:
    state = sa.inspect(listing)
    if any(state.attrs[name].history.has_changes() for name in WATCHED):
        if listing.status == ListingStatus.published:
            return True
        # left "published" (closed, archived) or was hidden: it must drop out
        before = state.attrs.status.history.deleted
        return bool(before and before[0] == ListingStatus.published) or (
            state.attrs.hidden_at.history.has_changes())
    return False


def _after_flush(session: Session, flush_context) -> None:
    if not has_app_context():
        return
    if session is not db.session():  # jobs are queued on the request's session only
        return
    if not setting("MATCHING_AUTO"):
        return
    queued = session.info.setdefault(QUEUED, set())
    for obj in list(session.dirty) + list(session.new):
        if isinstance(obj, Listing) and obj.id is not None and _changed(obj):
            key = (obj.id, obj.version, str(obj.status), obj.hidden_at is None)
            if key not in queued:
                queued.add(key)
                jobs.enqueue(recompute_listing_job, obj.id)


def _forget(session: Session, *args) -> None:
    session.info.pop(QUEUED, None)


def init_app(app) -> None:
    if not app.extensions.get("matching_hooks"):
        app.extensions["matching_hooks"] = True
        if not event.contains(Session, "after_flush", _after_flush):
            event.listen(Session, "after_flush", _after_flush)
            event.listen(Session, "after_commit", _forget)
            event.listen(Session, "after_soft_rollback", _forget)
