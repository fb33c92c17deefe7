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

import heapq
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache

import sqlalchemy as sa
from blinker import Namespace
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import contains_eager, load_only, selectinload

from ..accounts.models import Organisation, Verification
from ..clock import utcnow
from ..extensions import db
from ..i18n.formatting import parse_integer
from . import fuzzy, text
from .challenges import Challenge
from .models import Listing, ListingTerm
from .vocabulary import DEAL_TYPES, SECTORS, ListingKind, deal_type_bits, language_bits

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
# Each list of a query's candidates is read this deep to rank them (one further down would add
# less than 1/1060 to a fused score); a page beyond it reads the lists whole.
RANK_DEPTH = 1000

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


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _id_array(ids: list[int]):
    return sa.bindparam("ids", ids, unique=True, type_=postgresql.ARRAY(sa.Integer))


def _ids(ids: list[int]):
    """A select of these ids, passed as one parameter: an array on PostgreSQL, a JSON array
    read by json_each on SQLite (no limit on the number of bound variables)."""
    if _postgresql():
        return sa.select(sa.func.unnest(_id_array(ids)))
    table = sa.func.json_each(sa.bindparam("ids", json.dumps(ids), unique=True))
    return sa.select(table.table_valued("value").c.value)


def _id_in(ids: list[int]):
    """`listings.id IN ids`, the ids as one parameter (on PostgreSQL `= ANY(array)`, which it
    looks up by key)."""
    return Listing.id == sa.func.any(_id_array(ids)) if _postgresql() else Listing.id.in_(
        _ids(ids))


def _rows(stmt) -> list:
    """The rows of a select of plain columns, read without the ORM's per-row work."""
    return db.session.connection().execute(stmt).all()


def _hits(terms: list[str], kind: ListingKind, p: SearchParams | None = None,
          ids_only: bool = False):
    """A select of (listing id, summed weight) of the public listings of `kind` holding all
    the terms, best first, and, given `p`, passing the filters the index carries (all but
    verified and open challenge, `_index_only`); `ids_only`: of their ids, unordered. A
    self-join of the inverted index, rarest term first, read from the index alone (Core
    aliases: the ORM's cost more to build than the query takes)."""
    terms = sorted(terms, key=fuzzy.document_frequencies(terms).get)
    aliases = [ListingTerm.__table__.alias(f"t{i}") for i in range(len(terms))]
    first = aliases[0].c
    score = sum((a.c.weight for a in aliases[1:]), first.weight)
    stmt = sa.select(first.listing_id) if ids_only else sa.select(first.listing_id, score)
    stmt = stmt.where(first.term == terms[0], first.kind == kind, first.public.is_(True))
    if p is not None:
        stmt = stmt.where(*_index_filters(first, p))
    for alias, term in zip(aliases[1:], terms[1:], strict=True):
        stmt = stmt.join(alias, sa.and_(alias.c.listing_id == first.listing_id,
                                        alias.c.term == term))
    return stmt if ids_only else stmt.order_by(score.desc(), first.listing_id.desc())


def _index_filters(columns, p: SearchParams) -> list:
    """The filters of `p` that the index's `columns` carry."""
    conditions = []
    if p.sector:
        conditions.append(columns.sector == p.sector)
    if p.trl_min:
        conditions.append(columns.trl >= p.trl_min)
    if p.trl_max:
        conditions.append(columns.trl <= p.trl_max)
    if p.deal_type:
        conditions.append(columns.deal_types.op("&")(deal_type_bits([p.deal_type])) != 0)
    if p.lang:
        conditions.append(columns.languages.op("&")(language_bits([p.lang])) != 0)
    return conditions


def ask_semantic(kind: ListingKind, query: str, rank: bool = False) -> SemanticAnswer | None:
    for _receiver, answer in semantic_asked.send(str(kind), query=query, rank=rank):
        if answer is not None:
            return answer
    return None


@dataclass
class _Relevance:
    """A query's candidates: all of them as SQL, the best of them with their relevance.

    Each list (a keyword search's hits, the nearest listings by meaning) is read only to a
    depth to rank: a broad word such as 드론 is in a fifth of the listings, and reading all of
    them took most of a search's time. Counting and filtering run in SQL on the whole lists."""

    query: str  # the query as searched (typos corrected)
    keyword: list[list[str]] = field(default_factory=list)  # each list's terms (all required)
    extra: list[int] = field(default_factory=list)  # candidates handed over by id
    scores: dict[int, float] = field(default_factory=dict)  # the best candidates -> relevance
    listed: set[int] = field(default_factory=set)  # scored ids that passed the index filters
    whole: bool = True  # whether `scores` holds every candidate (no list was cut)

    def candidates(self, kind: ListingKind, p: SearchParams | None = None):
        """A select of every candidate's id; None when there is none. Given `p` (whose filters
        the index carries, `_index_only`), only of those passing its filters, counted from the
        index without reading the listings found by keywords."""
        selects = [_hits(terms, kind, p, ids_only=True) for terms in self.keyword]
        if self.extra:
            selects.append(_ids(self.extra) if p is None else sa.select(Listing.id).where(
                _id_in(self.extra), *_filters(kind, p)))
        if not selects:
            return None
        return sa.union(*selects) if len(selects) > 1 else selects[0]

    def read(self, terms: list[str], kind: ListingKind, p: SearchParams,
             depth: int | None) -> list:
        """(id, weight) of the top `depth` (None: all) hits of a keyword list, best first."""
        stmt = _hits(terms, kind, p)
        rows = _rows(stmt if depth is None else stmt.limit(depth))
        if depth is not None and len(rows) >= depth:
            self.whole = False
        self.listed.update(row[0] for row in rows)
        return rows


def _index_only(kind: ListingKind, p: SearchParams) -> bool:
    """Whether every filter of `p` is one the index carries (all but verified and open
    challenge) and the order is relevance: a search then reads `listings` only for the page's
    items."""
    return not (p.verified or (p.challenge and kind == "need")
                or p.sort == "newest" or (p.sort == "deadline" and kind == "need"))


def _known(terms: list[str]) -> bool:
    """Whether every term is in some listing (a query with a word no listing has finds
    nothing by keywords)."""
    frequencies = fuzzy.document_frequencies(terms)
    return bool(terms) and all(t in frequencies for t in terms)


def _relevance(kind: ListingKind, p: SearchParams, depth: int | None) -> _Relevance:
    """Candidates of a query with their relevance: keyword hits alone, or fused with the
    translations' keyword hits and the nearest listings by meaning."""
    query = p.q
    terms = text.query_terms(query)
    if len(query.split()) >= LONG_QUERY:
        answer = ask_semantic(kind, query, rank=True)
        if answer is not None and answer.ranked is not None:
            return _engine_relevance(answer.ranked, terms, kind, p, query, depth)
    if terms and not _known(terms):  # a word no listing has: a typo?
        corrected = fuzzy.correct(query)
        if corrected != query:
            query, terms = corrected, text.query_terms(corrected)
    found = _Relevance(query)
    rankings = []
    if _known(terms):
        found.keyword.append(terms)
        rankings.append((KEYWORD_LIST_WEIGHT, found.read(terms, kind, p, depth)))
    answer = ask_semantic(kind, query)
    if answer is None:
        found.scores = {i: float(w) for i, w in rankings[0][1]} if rankings else {}
        return found
    seen, translated = {tuple(sorted(terms))}, []
    for translation in answer.translations:
        t_terms = text.query_terms(translation)
        if t_terms and tuple(sorted(t_terms)) not in seen and len(seen) <= MAX_TRANSLATIONS:
            seen.add(tuple(sorted(t_terms)))
            translated.append(t_terms)
    if translated:  # one look-up of the document frequencies for every translation
        fuzzy.document_frequencies({t for ts in translated for t in ts})
        for t_terms in translated:
            if _known(t_terms):
                found.keyword.append(t_terms)
                rankings.append((TRANSLATION_LIST_WEIGHT, found.read(t_terms, kind, p, depth)))
    rankings = [(weight, [row[0] for row in rows]) for weight, rows in rankings if rows]
    if answer.nearest:
        found.extra = list(answer.nearest)
        rankings.append((SEMANTIC_LIST_WEIGHT, answer.nearest))
    for weight, ranking in rankings:
        shares = [weight / (RRF_K + rank) for rank in range(1, len(ranking) + 1)]
        if not found.scores:
            found.scores = dict(zip(ranking, shares, strict=True))
            continue
        for listing_id, share in zip(ranking, shares, strict=True):
            found.scores[listing_id] = found.scores.get(listing_id, 0.0) + share
    return found


def _engine_relevance(ranked: list[int], terms: list[str], kind: ListingKind,
                      p: SearchParams, query: str, depth: int | None) -> _Relevance:
    """The engine's order first, then the listings holding every word that it left out."""
    found = _Relevance(query, extra=list(ranked))
    found.scores = {i: 2.0 - rank / (len(ranked) + 1) for rank, i in enumerate(ranked, 1)}
    if _known(terms):
        found.keyword.append(terms)
        for rank, (listing_id, _weight) in enumerate(found.read(terms, kind, p, depth), 1):
            found.scores.setdefault(listing_id, 1.0 / (1 + rank))
    return found


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


def _search(kind: ListingKind, p: SearchParams, cards: bool = False):
    """(one page of items, total, the ids the query found before any filter (with `cards`, or
    None), the query as searched). `cards`: the listings are loaded for browse cards only."""
    offset = (p.page - 1) * p.per_page
    deadline_sort = p.sort == "deadline" and kind == ListingKind.need
    if not p.q:  # built once per filter set, except the challenge filter's (it reads the time)
        statements = (_paged(_filters(kind, p), deadline_sort, cards) if p.challenge else
                      _browse_statements(kind, p.sector, p.trl_min, p.trl_max, p.deal_type,
                                         p.lang, p.verified, deadline_sort, cards))
        return (*_page(statements, offset, p.per_page), None, "")

    filters = _filters(kind, p)
    index_only = _index_only(kind, p)
    found = _relevance(kind, p, max(RANK_DEPTH, 2 * (offset + p.per_page)))
    every = found.candidates(kind)
    if every is None:
        return [], 0, None, found.query
    candidates = ranked = None
    if cards or not index_only:
        # The ids themselves, when the listings must be read for them: PostgreSQL then looks
        # each up by key (given the subquery, it read the whole table to join it).
        filtered_in_index = bool(_index_filters(ListingTerm.__table__.c, p))
        candidates = (list(found.scores) if found.whole and not filtered_in_index
                      else [row[0] for row in _rows(every)])
    if not index_only:
        filtered = [*filters, _id_in(candidates)]
        if p.sort == "newest" or deadline_sort:
            return (*_page(_paged(filtered, deadline_sort, cards), offset, p.per_page),
                    candidates, found.query)
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Listing)
                                  .where(*filtered))
    elif found.whole:  # every candidate is scored: count those passing
        ranked = _passing(found, filters, index_only)
        total = len(ranked)
    else:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(
            found.candidates(kind, p).subquery()))
    if not total or offset >= total:
        return [], total or 0, candidates, found.query
    # by relevance, the newer listing first on a tie
    if ranked is None:
        ranked = _passing(found, filters, index_only)
    if len(ranked) < min(total, offset + p.per_page) and not found.whole:
        found = _relevance(kind, p, None)  # a page deeper than the lists were read
        ranked = _passing(found, filters, index_only)
    ids = _best_first(ranked, offset + p.per_page)[offset:]
    return _load(ids, cards), total, candidates, found.query


def _page(statements, offset: int, per_page: int) -> tuple[list[Listing], int]:
    """(one page of listings, total) from `_paged` statements."""
    count, listed = statements
    total = db.session.scalar(count)
    if not total or offset >= total:
        return [], total or 0
    return (list(db.session.scalars(listed, {"limit": per_page, "offset": offset}).unique()),
            total)


def _paged(conditions: list, deadline_sort: bool, cards: bool):
    """(count, one page) of the listings passing `conditions`, newest first or by deadline;
    the page's limit and offset are parameters."""
    newest = (Listing.published_at.desc(), Listing.id.desc())
    order = _deadline_order(newest) if deadline_sort else newest
    count = sa.select(sa.func.count()).select_from(Listing).where(*conditions)
    listed = (_listings_query(cards).where(*conditions).options(*_options(cards))
              .order_by(*order).limit(sa.bindparam("limit")).offset(sa.bindparam("offset")))
    return count, listed


@lru_cache(maxsize=512)
def _browse_statements(kind: ListingKind, sector, trl_min, trl_max, deal_type, lang,
                       verified: bool, deadline_sort: bool, cards: bool):
    """`_paged` for a browse without keywords with these filters, built once."""
    return _paged(_filters(kind, SearchParams(sector=sector, trl_min=trl_min, trl_max=trl_max,
                                              deal_type=deal_type, lang=lang,
                                              verified=verified)), deadline_sort, cards)


def _passing(found: _Relevance, conditions: list, index_only: bool) -> dict[int, float]:
    """The scored candidates that pass the conditions, with their scores. With `index_only`
    conditions those read from the index passed already; the others are looked up."""
    listed = found.listed if index_only else set()
    others = [i for i in found.scores if i not in listed]
    passed = set(db.session.scalars(sa.select(Listing.id).where(_id_in(others), *conditions))
                 ) if others else set()
    return {i: score for i, score in found.scores.items() if i in listed or i in passed}


def _best_first(scores: dict[int, float], n: int) -> list[int]:
    """The `n` ids of the highest scores, the newer listing (higher id) first on a tie."""
    return [i for _, i in heapq.nlargest(n, zip(scores.values(), scores, strict=True))]


def _options(cards: bool):
    return _card_options() if cards else _full_options()


def _listings_query(cards: bool):
    stmt = sa.select(Listing).join(Listing.organisation)
    return stmt.outerjoin(Listing.challenge) if cards else stmt


def _load(ids: list[int], cards: bool) -> list[Listing]:
    """The listings with these ids, in this order, with their organisations."""
    if not ids:
        return []
    listings = db.session.scalars(_listings_query(cards).where(Listing.id.in_(ids))
                                  .options(*_options(cards))).unique()
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
    fuzzy.forget_frequencies()
    db.session.execute(sa.delete(ListingTerm).where(ListingTerm.listing_id == listing.id))
    common = {"listing_id": listing.id, "kind": listing.kind, "public": listing.is_public,
              "sector": listing.sector, "trl": listing.trl_value,
              "deal_types": deal_type_bits(listing.deal_types),
              "languages": language_bits(listing.languages)}
    rows = [{"term": term, "weight": weight, **common}
            for term, weight in listing_terms(listing).items()]
    if rows:
        db.session.execute(sa.insert(ListingTerm), rows)
