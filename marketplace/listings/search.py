"""Browse and keyword search over published listings, for the pages and the JSON API.

`search_listings(kind, params, viewer)` takes plain query parameters (strings are fine: they are
parsed leniently, an unusable filter is ignored) and returns `(items, total)`. Keyword matching
uses the `listing_terms` inverted index that `index_listing` fills on every save: every query term
must match (AND), and results rank by the summed weights of the matching terms.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import aliased, contains_eager, selectinload

from ..accounts.models import Organisation, Verification
from ..clock import utcnow
from ..extensions import db
from ..i18n.formatting import parse_integer
from . import text
from .challenges import Challenge
from .models import Listing, ListingTerm
from .vocabulary import DEAL_TYPES, SECTORS, ListingKind

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
        number = parse_integer(value) if isinstance(value, str) else int(value)
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


def _fixed(value: str):
    """A constant written into the SQL, so the partial index `ix_listings_public` applies."""
    return sa.literal(value, literal_execute=True)


def _filters(kind: ListingKind, p: SearchParams) -> list:
    conditions = [Listing.kind == _fixed(str(kind)), Listing.status == _fixed("published"),
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
        conditions.append(Listing.organisation_id.in_(
            sa.select(Organisation.id).where(Organisation.verification == Verification.verified)))
    if p.challenge and kind == ListingKind.need:
        conditions.append(sa.exists().where(Challenge.listing_id == Listing.id,
                                            Challenge.deadline > utcnow()))
    return conditions


def _id_in(ids: list[int]):
    """`listings.id IN ids` with the ids as one parameter: an array on PostgreSQL, a JSON
    array read by json_each on SQLite (no limit on the number of bound variables)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return Listing.id == sa.func.any(sa.bindparam("hit_ids", ids,
                                                      type_=postgresql.ARRAY(sa.Integer)))
    table = sa.func.json_each(sa.bindparam("hit_ids", json.dumps(ids))).table_valued("value")
    return Listing.id.in_(sa.select(table.c.value))


def _document_frequencies(terms: list[str]) -> dict[str, int]:
    rows = db.session.execute(sa.select(ListingTerm.term, sa.func.count())
                              .where(ListingTerm.term.in_(terms)).group_by(ListingTerm.term))
    return dict(rows.all())


def _hits(terms: list[str], kind: ListingKind, p: SearchParams) -> list[tuple[int, int]]:
    """(listing id, summed weight) of every public listing of `kind` holding all the terms and
    passing the filters the index carries (sector, TRL): a self-join of the inverted index,
    rarest term first, read from the index alone."""
    aliases = [aliased(ListingTerm, name=f"t{i}") for i in range(len(terms))]
    first = aliases[0]
    score = sum((a.weight for a in aliases[1:]), first.weight)
    stmt = sa.select(first.listing_id, score).where(
        first.term == terms[0], first.kind == kind, first.public.is_(True))
    if p.sector:
        stmt = stmt.where(first.sector == p.sector)
    if p.trl_min:
        stmt = stmt.where(first.trl >= p.trl_min)
    if p.trl_max:
        stmt = stmt.where(first.trl <= p.trl_max)
    for alias, term in zip(aliases[1:], terms[1:], strict=True):
        stmt = stmt.join(alias, sa.and_(alias.listing_id == first.listing_id,
                                        alias.term == term))
    return [(row[0], row[1]) for row in db.session.execute(stmt)]


def _needs_listing_rows(kind: ListingKind, p: SearchParams) -> bool:
    """Whether a keyword search must also read `listings` (a filter or an order the index
    does not carry)."""
    return bool(p.deal_type or p.lang or p.verified or (p.challenge and kind == "need")
                or p.sort == "newest" or (p.sort == "deadline" and kind == "need"))


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
    newest = (Listing.published_at.desc(), Listing.id.desc())
    offset = (p.page - 1) * p.per_page
    conditions = _filters(kind, p)
    load = (contains_eager(Listing.organisation), selectinload(Listing.challenge))

    if terms:
        frequencies = _document_frequencies(terms)
        if len(frequencies) < len(terms):
            return [], 0  # a term no listing has: nothing can match all of them
        found = dict(_hits(sorted(terms, key=frequencies.get), kind, p))
        if not found:
            return [], 0
        if not _needs_listing_rows(kind, p):
            # Everything asked is in the index: rank by weight, newer listing first on a tie.
            ranked = sorted(found, key=lambda i: (found[i], i), reverse=True)
            return _load(ranked[offset:offset + p.per_page], load), len(ranked)
        # Filter the hits in one query that takes their ids as a single parameter, then rank
        # here: the planner sees a known id set and uses the primary key.
        deadline_sort = p.sort == "deadline" and kind == ListingKind.need
        rows = db.session.execute(
            sa.select(Listing.id, Listing.published_at, Listing.deadline)
            .where(_id_in(list(found)), *conditions)).all()
        if deadline_sort:
            far = datetime.max.replace(tzinfo=UTC)
            rows.sort(key=lambda r: (r.published_at or far, r.id), reverse=True)
            rows.sort(key=lambda r: r.deadline or far)
        else:
            rows.sort(key=lambda r: (0 if p.sort == "newest" else found[r.id],
                                     r.published_at, r.id), reverse=True)
        return _load([r.id for r in rows[offset:offset + p.per_page]], load), len(rows)

    total = db.session.scalar(sa.select(sa.func.count()).select_from(Listing)
                              .where(*conditions))
    if not total or offset >= total:
        return [], total or 0
    order = _deadline_order(newest) if (p.sort == "deadline"
                                        and kind == ListingKind.need) else newest
    stmt = (sa.select(Listing).join(Listing.organisation).where(*conditions).options(*load)
            .order_by(*order).limit(p.per_page).offset(offset))
    return list(db.session.scalars(stmt).unique()), total


def _load(ids: list[int], options) -> list[Listing]:
    """The listings with these ids, in this order, with their organisations."""
    if not ids:
        return []
    listings = db.session.scalars(sa.select(Listing).join(Listing.organisation)
                                  .where(Listing.id.in_(ids)).options(*options)).unique()
    by_id = {listing.id: listing for listing in listings}
    return [by_id[i] for i in ids if i in by_id]


def _deadline_order(then):
    return (sa.case((Listing.deadline.is_(None), 1), else_=0), Listing.deadline.asc(), *then)


# -- the index ------------------------------------------------------------------------------


def listing_terms(listing) -> dict[str, int]:
    """Search terms of a listing with weights (title 4, summary and keywords 3, body 1).
    The confidential text is never indexed."""
    return text.weighted_terms([
        (listing.title_ko, 4), (listing.title_en, 4),
        (" ".join(listing.keywords or []), 3),
        (listing.summary_ko, 3), (listing.summary_en, 3),
        (listing.description_ko, 1), (listing.description_en, 1),
        (listing.evidence, 1), (listing.expected_benefit, 1),
    ])


def index_listing(listing: Listing) -> None:
    """Replace the listing's rows in `listing_terms`."""
    db.session.execute(sa.delete(ListingTerm).where(ListingTerm.listing_id == listing.id))
    common = {"listing_id": listing.id, "kind": listing.kind, "public": listing.is_public,
              "sector": listing.sector, "trl": listing.trl_value}
    rows = [{"term": term, "weight": weight, **common}
            for term, weight in listing_terms(listing).items()]
    if rows:
        db.session.execute(sa.insert(ListingTerm), rows)
