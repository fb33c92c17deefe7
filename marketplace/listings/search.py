"""Browse and keyword search over published listings, for the pages and the JSON API.

`search_listings(kind, params, viewer)` takes plain query parameters (strings are fine: they are
parsed leniently, an unusable filter is ignored) and returns `(items, total)`. Keyword matching
uses the `listing_terms` inverted index filled by `services.index_listing`: every query term must
match (AND), and results rank by the summed weights of the matching terms.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager

from ..accounts.models import Organisation, Verification, utcnow
from ..extensions import db
from . import text
from .models import DEAL_TYPES, SECTORS, Challenge, Listing, ListingKind, ListingStatus, ListingTerm

SORTS = ("relevance", "newest", "deadline")
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 1000


@dataclass
class SearchParams:
    q: str = ""
    sector: str | None = None
    trl_min: int | None = None
    trl_max: int | None = None
    deal_type: str | None = None
    lang: str | None = None
    verified: bool = False
    challenge: bool = False
    sort: str = "relevance"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE


def _int(value, low: int, high: int) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def _flag(value) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on", "y"}


def parse_params(raw: Mapping | SearchParams | None) -> SearchParams:
    """SearchParams from query-string values; unusable values fall back to "no filter"."""
    if isinstance(raw, SearchParams):
        return raw
    raw = raw or {}
    sector = raw.get("sector") or None
    deal_type = raw.get("deal_type") or None
    lang = raw.get("lang") or None
    sort = raw.get("sort") or "relevance"
    return SearchParams(
        q=str(raw.get("q") or "").strip()[:200],
        sector=sector if sector in SECTORS else None,
        trl_min=_int(raw.get("trl_min"), 1, 9),
        trl_max=_int(raw.get("trl_max"), 1, 9),
        deal_type=deal_type if deal_type in DEAL_TYPES else None,
        lang=lang if lang in ("ko", "en") else None,
        verified=_flag(raw.get("verified")),
        challenge=_flag(raw.get("challenge")),
        sort=sort if sort in SORTS else "relevance",
        page=_int(raw.get("page"), 1, MAX_PAGE) or 1,
        per_page=_int(raw.get("per_page"), 1, MAX_PER_PAGE) or DEFAULT_PER_PAGE,
    )


def _filters(kind: ListingKind, p: SearchParams) -> list:
    conditions = [Listing.kind == kind, Listing.status == ListingStatus.published,
                  Listing.hidden_at.is_(None)]
    if p.sector:
        conditions.append(Listing.sector == p.sector)
    trl = Listing.trl if kind == ListingKind.offering else Listing.min_trl
    if p.trl_min:
        conditions.append(trl >= p.trl_min)
    if p.trl_max:
        conditions.append(trl <= p.trl_max)
    if p.deal_type:
        # deal_types is a JSON list of known codes; no code is part of another once quoted.
        conditions.append(sa.cast(Listing.deal_types, sa.Text).like(f'%"{p.deal_type}"%'))
    if p.lang:
        conditions.append(getattr(Listing, f"title_{p.lang}").is_not(None))
    if p.verified:
        conditions.append(Organisation.verification == Verification.verified)
    if p.challenge and kind == ListingKind.need:
        conditions.append(sa.exists().where(Challenge.listing_id == Listing.id,
                                            Challenge.deadline > utcnow()))
    return conditions


def search_listings(kind: str, params: Mapping | SearchParams | None = None,
                    viewer=None) -> tuple[list[Listing], int]:
    """Published, unhidden listings of `kind` matching `params`: (one page of items, total).

    `viewer` is accepted for the API's sake; what browse shows does not depend on who asks
    (drafts and hidden listings are never listed, even to their owners)."""
    kind = ListingKind(kind)
    p = parse_params(params)
    terms = text.query_terms(p.q) if p.q else []
    if p.q and not terms:
        return [], 0

    base = sa.select(Listing).join(Listing.organisation)
    score = None
    if terms:
        aliases = [aliased(ListingTerm, name=f"t{i}") for i in range(len(terms))]
        for alias, term in zip(aliases, terms, strict=True):
            base = base.join(alias, sa.and_(alias.listing_id == Listing.id, alias.term == term))
        score = sum((a.weight for a in aliases[1:]), aliases[0].weight)
    base = base.where(*_filters(kind, p))

    total = db.session.scalar(sa.select(sa.func.count()).select_from(
        base.with_only_columns(Listing.id).subquery()))
    if not total:
        return [], 0

    newest = (Listing.published_at.desc(), Listing.id.desc())
    if p.sort == "deadline" and kind == ListingKind.need:
        order = (sa.case((Listing.deadline.is_(None), 1), else_=0), Listing.deadline.asc(),
                 *newest)
    elif p.sort == "relevance" and score is not None:
        order = (score.desc(), *newest)
    else:
        order = newest
    stmt = (base.options(contains_eager(Listing.organisation)).order_by(*order)
            .limit(p.per_page).offset((p.page - 1) * p.per_page))
    items = list(db.session.scalars(stmt).unique())
    return items, total
