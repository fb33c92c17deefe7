"""Browse and keyword search over published listings, for the pages and the JSON API.

`search_listings(kind, params, viewer)` takes plain query parameters (strings are fine: they are
parsed leniently, an unusable filter is ignored) and returns `(items, total)`. Keyword matching
uses the `listing_terms` inverted index that `index_listing` fills on every save: every query term
must match (AND), and results rank by the summed weights of the matching terms.

A query word no listing has is corrected first (`fuzzy`: batery -> battery, 베터리 -> 배터리).
Search also finds listings in the other language and by meaning when a higher layer answers
`semantic_asked` (matching does: the query in the other language through its glossary, and the
listings whose stored embeddings are nearest the query's). The keyword hits of the query, of
each translation and the nearest listings are then fused by reciprocal rank: a listing found
several ways ranks first, an exact keyword hit stays in, and nothing unrelated is added (the
nearest listings are only those above a similarity floor). Without an answer (no matching, or
its model not loaded in this process) search is keyword search alone.

A query of `LONG_QUERY` words or more reads as a statement of what is sought (a need's title
typed in): matching then ranks the listings with its engine, as it would rank them for a listing
with that title (`ranked` in the answer: its shortlist, when the best of it scores at least
`SEARCH_RANK_FLOOR`), and the listings holding every word of the query follow them. Its typos
are not corrected (the engine reads meaning).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache

import sqlalchemy as sa
from blinker import Namespace
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import aliased, contains_eager, load_only, selectinload

from ..accounts.models import Organisation, Verification
from ..clock import utcnow
from ..extensions import db
from ..i18n.formatting import parse_integer
from . import fuzzy, text
from .challenges import Challenge
from .models import Listing, ListingTerm
from .vocabulary import DEAL_TYPES, SECTORS, ListingKind

SORTS = ("relevance", "newest", "deadline")
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 1000
# Reciprocal rank fusion: score = sum over the lists a listing is in of weight / (RRF_K + rank).
RRF_K = 60
SEMANTIC_LIST_WEIGHT = 1.0
TRANSLATION_LIST_WEIGHT = 1.0
KEYWORD_LIST_WEIGHT = 1.0
MAX_TRANSLATIONS = 4
# From this many words a query is ranked by the matching engine (see the module's docstring).
LONG_QUERY = 3

# Asked with (kind, query=<the corrected query text>, rank=<a long query>); an answer is a
# `SemanticAnswer`.
semantic_asked = Namespace().signal("listing-search-semantic")


@dataclass
class SemanticAnswer:
    """What a higher layer adds to a keyword search."""

    translations: list[str]  # the query's concepts in the other language, as query texts
    nearest: list[int]  # ids of the listings nearest in meaning, above the floor, best first
    ranked: list[int] | None = None  # asked to rank: the listings in the engine's order


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


def _keyword_hits(terms: list[str], kind: ListingKind, p: SearchParams,
                  frequencies: dict[str, int] | None = None) -> dict[int, int] | None:
    """{listing id: summed weight} of the listings holding every term (index filters applied);
    None when a term is in no listing at all."""
    if frequencies is None:
        frequencies = _document_frequencies(terms)
    if any(t not in frequencies for t in terms):
        return None
    return dict(_hits(sorted(terms, key=frequencies.get), kind, p))


def _by_weight(found: dict[int, int]) -> list[int]:
    return sorted(found, key=lambda i: (found[i], i), reverse=True)


def ask_semantic(kind: ListingKind, query: str, rank: bool = False) -> SemanticAnswer | None:
    for _receiver, answer in semantic_asked.send(str(kind), query=query, rank=rank):
        if answer is not None:
            return answer
    return None


@dataclass
class _Relevance:
    scores: dict[int, float]  # candidate id -> relevance (higher first)
    unchecked: list[int]  # candidates found by meaning only: the index filters not applied
    query: str  # the query as searched (typos corrected)


def _relevance(kind: ListingKind, p: SearchParams) -> _Relevance:
    """Candidates of a query with their relevance: keyword hits alone, or fused with the
    translations' keyword hits and the nearest listings by meaning."""
    query = p.q
    terms = text.query_terms(query)
    if len(query.split()) >= LONG_QUERY:
        answer = ask_semantic(kind, query, rank=True)
        if answer is not None and answer.ranked is not None:
            return _engine_relevance(answer.ranked, terms, kind, p, query)
    found = _keyword_hits(terms, kind, p) if terms else None
    if terms and found is None:  # a word no listing has: a typo?
        corrected = fuzzy.correct(query)
        if corrected != query:
            query, terms = corrected, text.query_terms(corrected)
            found = _keyword_hits(terms, kind, p) if terms else None
    answer = ask_semantic(kind, query)
    if answer is None:
        return _Relevance({i: float(w) for i, w in (found or {}).items()}, [], query)
    rankings = [(KEYWORD_LIST_WEIGHT, _by_weight(found))] if found else []
    seen, translated = {tuple(sorted(terms))}, []
    for translation in answer.translations:
        t_terms = text.query_terms(translation)
        if t_terms and tuple(sorted(t_terms)) not in seen and len(seen) <= MAX_TRANSLATIONS:
            seen.add(tuple(sorted(t_terms)))
            translated.append(t_terms)
    if translated:  # one look-up of the document frequencies for every translation
        frequencies = _document_frequencies(sorted({t for ts in translated for t in ts}))
        for t_terms in translated:
            hits = _keyword_hits(t_terms, kind, p, frequencies)
            if hits:
                rankings.append((TRANSLATION_LIST_WEIGHT, _by_weight(hits)))
    keyword_found = {i for _, ranking in rankings for i in ranking}
    if answer.nearest:
        rankings.append((SEMANTIC_LIST_WEIGHT, answer.nearest))
    scores: dict[int, float] = {}
    for weight, ranking in rankings:
        for rank, listing_id in enumerate(ranking, 1):
            scores[listing_id] = scores.get(listing_id, 0.0) + weight / (RRF_K + rank)
    unchecked = [i for i in answer.nearest if i not in keyword_found]
    return _Relevance(scores, unchecked, query)


def _engine_relevance(ranked: list[int], terms: list[str], kind: ListingKind,
                      p: SearchParams, query: str) -> _Relevance:
    """The engine's order first, then the listings holding every word that it left out."""
    found = (_keyword_hits(terms, kind, p) if terms else None) or {}
    scores = {i: 2.0 - rank / (len(ranked) + 1) for rank, i in enumerate(ranked, 1)}
    for rank, listing_id in enumerate(_by_weight(found), 1):
        scores.setdefault(listing_id, 1.0 / (1 + rank))
    return _Relevance(scores, [i for i in ranked if i not in found], query)


def search_listings(kind: str, params: Mapping | SearchParams | None = None,
                    viewer=None) -> tuple[list[Listing], int]:
    """Published, unhidden listings of `kind` matching `params`: (one page of items, total).

    `viewer` is accepted for the API's sake; what browse shows does not depend on who asks
    (drafts and hidden listings are never listed, even to their owners)."""
    items, total, _candidates, _searched = _search(ListingKind(kind), parse_params(params))
    return items, total


# What a browse card reads (`cards.card_key` and the card macro), so browse loads narrow rows.
CARD_COLUMNS = (Listing.id, Listing.kind, Listing.status, Listing.hidden_at, Listing.title_ko,
                Listing.title_en, Listing.summary_ko, Listing.summary_en, Listing.sector,
                Listing.trl, Listing.min_trl, Listing.deal_types, Listing.price_min,
                Listing.price_max, Listing.currency, Listing.deadline, Listing.published_at,
                Listing.organisation_id)
CARD_ORGANISATION_COLUMNS = (Organisation.id, Organisation.name_ko, Organisation.name_en,
                             Organisation.verification)


@cache  # loader options hold no request state; building them took a tenth of a browse request
def _card_options():
    """Listings with just the card's columns, their organisation and challenge joined in the
    same query (no query per card, no wide text columns)."""
    return (load_only(*CARD_COLUMNS),
            contains_eager(Listing.organisation).load_only(*CARD_ORGANISATION_COLUMNS),
            contains_eager(Listing.challenge))


@cache
def _full_options():
    """Whole listings with their organisation joined and their challenge loaded after."""
    return contains_eager(Listing.organisation), selectinload(Listing.challenge)


def _search(kind: ListingKind, p: SearchParams, for_facets: bool = False):
    """(one page of items, total, the ids matching the query before the filters the index
    does not carry, or None without a query, the query as searched). `for_facets`: the ids
    are found without any filter, so that they can be counted per filter value, and the
    listings are loaded for browse cards only."""
    newest = (Listing.published_at.desc(), Listing.id.desc())
    offset = (p.page - 1) * p.per_page
    conditions = _filters(kind, p)
    load = _card_options() if for_facets else _full_options()

    if p.q:
        index_filters = bool(p.sector or p.trl_min or p.trl_max)
        unfiltered = for_facets and index_filters
        relevance = _relevance(kind, replace(p, sector=None, trl_min=None, trl_max=None)
                               if unfiltered else p)
        found = relevance.scores
        if not found:
            return [], 0, [], relevance.query
        if relevance.unchecked and not unfiltered and not _needs_listing_rows(kind, p):
            # the listings found by meaning alone pass the filters the index would have applied
            passed = set(db.session.scalars(sa.select(Listing.id).where(
                _id_in(relevance.unchecked), *conditions)))
            unchecked = set(relevance.unchecked)
            found = {i: score for i, score in found.items()
                     if i in passed or i not in unchecked}
            relevance.unchecked = []
        if not unfiltered and not relevance.unchecked and not _needs_listing_rows(kind, p):
            # Everything asked is in the index: rank by relevance, newer listing first on a tie.
            ranked = sorted(found, key=lambda i: (found[i], i), reverse=True)
            return (_load(ranked[offset:offset + p.per_page], load, for_facets), len(ranked),
                    list(found),
                    relevance.query)
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
        items = _load([r.id for r in rows[offset:offset + p.per_page]], load, for_facets)
        return items, len(rows), list(found), relevance.query

    total = db.session.scalar(sa.select(sa.func.count()).select_from(Listing)
                              .where(*conditions))
    if not total or offset >= total:
        return [], total or 0, None, ""
    order = _deadline_order(newest) if (p.sort == "deadline"
                                        and kind == ListingKind.need) else newest
    stmt = (_listings_query(for_facets).where(*conditions).options(*load)
            .order_by(*order).limit(p.per_page).offset(offset))
    return list(db.session.scalars(stmt).unique()), total, None, ""


def _listings_query(cards: bool):
    stmt = sa.select(Listing).join(Listing.organisation)
    return stmt.outerjoin(Listing.challenge) if cards else stmt


def _load(ids: list[int], options, cards: bool = False) -> list[Listing]:
    """The listings with these ids, in this order, with their organisations."""
    if not ids:
        return []
    listings = db.session.scalars(_listings_query(cards)
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
