"""Investors' lists: public offerings ranked against an investor's profile, adjusted by the
profile's own signals (sectors, stage, languages, regions)."""

from __future__ import annotations

import sqlalchemy as sa

from ..accounts.models import OrgKind
from ..clock import utcnow
from ..extensions import db
from ..listings.models import Listing
from ..listings.vocabulary import ListingKind
from .embedding_store import profile_embedding, profile_listing
from .indexes import Context
from .notices import notify_new
from .records import InvestorMatch, InvestorProfile, region_of
from .signals import sector_affinity

INVESTOR_WEIGHTS = {"sector": 0.05, "stage": 0.03, "language": 0.05, "region": 0.03}


def _investor_fit(profile: InvestorProfile, offering: Listing) -> tuple[float, dict]:
    """The profile's own signals against one offering: a score adjustment and its reasons."""
    w = INVESTOR_WEIGHTS
    adjust, facts = 0.0, {}
    if profile.sectors:
        affinity = max(sector_affinity(s, offering.sector) for s in profile.sectors)
        facts["sector_focus"] = ("same" if affinity >= 1 else "related" if affinity > 0
                                 else "outside")
        adjust += w["sector"] * affinity
    low, high = profile.trl_range
    if offering.trl is not None and (low is not None or high is not None):
        if low is not None and offering.trl < low:
            facts["stage_fit"] = "earlier"  # the engine's TRL penalty applies
        elif high is not None and offering.trl > high:
            facts["stage_fit"] = "later"
            adjust -= w["stage"]
        else:
            facts["stage_fit"] = "within"
    if profile.languages:
        readable = bool(set(profile.languages) & set(offering.languages))
        facts["language_fit"] = readable
        adjust -= 0 if readable else w["language"]
    if profile.regions:
        region = region_of(offering.organisation.country)
        inside = region in profile.regions
        facts["region_fit"] = inside
        facts["region"] = region
        adjust -= 0 if inside else w["region"]
    facts["trl"] = offering.trl
    return adjust, facts


def _investor_rows(org_id: int) -> dict[int, InvestorMatch]:
    return {row.offering_id: row for row in db.session.scalars(
        sa.select(InvestorMatch).where(InvestorMatch.investor_org_id == org_id))}


def recompute_investor(org_id: int, ctx: Context | None = None) -> dict:
    """Rank public offerings for one investor's profile and store the top list (idempotent)."""
    ctx = ctx or Context()
    profile = db.session.scalar(sa.select(InvestorProfile).filter_by(organisation_id=org_id))
    existing = _investor_rows(org_id)
    if profile is None or profile.organisation.kind != OrgKind.investor:
        for row in existing.values():
            row.rank = None
            if not row.is_sticky:
                db.session.delete(row)
        db.session.flush()
        return {"investor": org_id, "status": "no profile"}
    stored = profile_embedding(profile)
    index = ctx.index(ListingKind.offering)
    query = profile_listing(profile)
    pool = ctx.engine.rank(query, index, top_k=2 * ctx.top_k, query_vector=stored.vector,
                           query_features=stored.features)
    offerings = {x.id: x for x in db.session.scalars(sa.select(Listing).where(
        Listing.id.in_([int(m.listing_id) for m in pool])))}
    scored = []
    for m in pool:
        offering = offerings[int(m.listing_id)]
        adjust, facts = _investor_fit(profile, offering)
        explanation = m.explanation.to_dict() | {"investor": facts}
        scored.append((m.score + adjust, offering, explanation))
    scored.sort(key=lambda item: -item[0])
    scored = scored[:ctx.top_k]
    version, now = ctx.engine.model_version, utcnow()
    kept = set()
    for position, (score, offering, explanation) in enumerate(scored, start=1):
        row = existing.get(offering.id)
        if row is None:
            row = InvestorMatch(investor_org_id=org_id, offering_id=offering.id,
                                startup_org_id=offering.organisation_id)
            db.session.add(row)
            existing[offering.id] = row
        row.score, row.explanation, row.model_version = float(score), explanation, version
        row.computed_at, row.rank = now, position
        kept.add(offering.id)
    removed = 0
    for offering_id, row in list(existing.items()):
        if offering_id not in kept:
            row.rank = None
            if not row.is_sticky:
                db.session.delete(row)
                del existing[offering_id]
                removed += 1
    db.session.flush()
    notified = notify_new([existing[i] for i in kept], ctx.notify_threshold)
    return {"investor": org_id, "status": "ranked", "matches": len(kept), "removed": removed,
            "notified": notified, "model_version": version}


def recompute_offering_for_investors(offering: Listing, ctx: Context) -> int:
    """An offering changed: every investor's list is ranked again (investors are few)."""
    org_ids = list(db.session.scalars(sa.select(InvestorProfile.organisation_id)))
    for org_id in org_ids:
        recompute_investor(org_id, ctx)
    return len(org_ids)
