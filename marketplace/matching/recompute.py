"""Keeping stored matches current. Recomputing one listing ranks it against every public
counterpart, stores its top list and refreshes the score of pairs it holds in the other side's
list; a listing that is no longer public drops out of every list. Functions `flush()`; the
caller (a job, the CLI) commits."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from ..clock import utcnow
from ..extensions import db
from ..listings.models import Listing
from ..listings.vocabulary import ListingKind, ListingStatus
from .embedding_store import engine_listing
from .indexes import Context, public_listings
from .investors import recompute_investor, recompute_offering_for_investors
from .notices import notify_new
from .records import InvestorMatch, InvestorProfile, Match, side_columns


def _other(kind: ListingKind) -> ListingKind:
    return ListingKind.offering if kind == ListingKind.need else ListingKind.need


def recompute_listing(listing_id: int, ctx: Context | None = None,
                      with_investors: bool = True) -> dict:
    """Bring one listing's stored matches up to date (idempotent). Returns a small summary.

    An offering also refreshes the investors' lists unless `with_investors` is false (the full
    recompute ranks every investor once at the end instead)."""
    listing = db.session.get(Listing, listing_id)
    if listing is None:
        return {"listing": listing_id, "status": "missing"}
    ctx = ctx or Context()
    if not listing.is_public:
        removed = _drop_out(listing)
        return {"listing": listing_id, "status": "not public", "removed": removed}
    own_col, other_col, own_rank, other_rank = side_columns(listing.kind)
    stored = ctx.stored(listing)
    index = ctx.index(_other(listing.kind))
    query = engine_listing(listing)
    ranked = ctx.engine.rank(query, index, top_k=ctx.top_k, query_vector=stored.vector,
                             query_features=stored.features)
    existing = {getattr(row, other_col.key): row for row in db.session.scalars(
        sa.select(Match).where(own_col == listing.id))}
    top_ids = {int(m.listing_id) for m in ranked}
    held_elsewhere = [str(i) for i, row in existing.items()
                      if i not in top_ids and getattr(row, other_rank) is not None]
    rescored = ctx.engine.score_ids(query, index, held_elsewhere, stored.vector, stored.features)
    version, now = ctx.engine.model_version, utcnow()
    touched = []
    for position, result in [(i + 1, m) for i, m in enumerate(ranked)] + [(None, m)
                                                                          for m in rescored]:
        other_id = int(result.listing_id)
        row = existing.get(other_id)
        if row is None:
            ids = {own_col.key: listing.id, other_col.key: other_id}
            row = Match(**ids)
            db.session.add(row)
            existing[other_id] = row
        row.score = float(result.score)
        row.explanation = result.explanation.to_dict()
        row.model_version = version
        row.computed_at = now
        setattr(row, own_rank, position)
        touched.append(other_id)
    for other_id, row in existing.items():
        if other_id not in touched:
            setattr(row, own_rank, None)
            if other_id not in index.positions:  # the other side is no longer public
                setattr(row, other_rank, None)
    removed = _prune(existing.values())
    db.session.flush()
    notified = notify_new([existing[i] for i in touched], ctx.notify_threshold)
    summary = {"listing": listing_id, "status": "ranked", "matches": len(ranked),
               "rescored": len(rescored), "removed": removed, "notified": notified,
               "model_version": version}
    if listing.kind == ListingKind.offering and with_investors:
        summary["investors"] = recompute_offering_for_investors(listing, ctx)
    return summary


def _prune(rows: Iterable[Match]) -> int:
    removed = 0
    for row in list(rows):
        if not row.is_ranked and not row.is_sticky:
            db.session.delete(row)
            removed += 1
    return removed


def _drop_out(listing: Listing) -> int:
    """A closed, hidden or unpublished listing leaves every list (dismissals and the memory of a
    notice stay, so nothing is repeated when it comes back)."""
    own_col, _, _, _ = side_columns(listing.kind)
    rows = list(db.session.scalars(sa.select(Match).where(own_col == listing.id)))
    for row in rows:
        row.need_rank = row.offering_rank = None
    removed = _prune(rows)
    if listing.kind == ListingKind.offering:
        investor_rows = list(db.session.scalars(sa.select(InvestorMatch).where(
            InvestorMatch.offering_id == listing.id)))
        for row in investor_rows:
            row.rank = None
            if not row.is_sticky:
                db.session.delete(row)
                removed += 1
    db.session.flush()
    return removed


def recompute_all() -> dict:
    """Every public listing and every investor profile, sharing one pair of indexes."""
    ctx = Context()
    counts = {"needs": 0, "offerings": 0, "investors": 0}
    for kind in (ListingKind.need, ListingKind.offering):
        ctx.index(kind)  # embeds what is missing, in batches
    for kind, key in ((ListingKind.need, "needs"), (ListingKind.offering, "offerings")):
        for listing in public_listings(kind):
            recompute_listing(listing.id, ctx, with_investors=False)
            counts[key] += 1
    for org_id in db.session.scalars(sa.select(InvestorProfile.organisation_id)):
        recompute_investor(org_id, ctx)
        counts["investors"] += 1
    # listings that are no longer public but still hold pairs
    stale = db.session.scalars(sa.select(Listing).where(
        sa.or_(Listing.status != ListingStatus.published, Listing.hidden_at.is_not(None)),
        sa.or_(Listing.id.in_(sa.select(Match.need_id)),
               Listing.id.in_(sa.select(Match.offering_id)),
               Listing.id.in_(sa.select(InvestorMatch.offering_id)))))
    counts["dropped"] = 0
    for listing in stale:
        _drop_out(listing)
        counts["dropped"] += 1
    return counts
