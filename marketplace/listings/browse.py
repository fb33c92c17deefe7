"""A browse page: a page of search results and, per filter, how many listings each of its
values would give (the counts beside the filters)."""

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from .models import Listing
from .search import SearchParams, _filters, _id_in, _search, parse_params
from .vocabulary import DEAL_TYPES, ListingKind

FACETS = ("sector", "trl", "deal_type", "lang")


@dataclass
class Browse:
    items: list[Listing]
    total: int
    facets: dict[str, dict[str, int]]  # facet -> {value: listings}
    corrected: str | None = None  # the query as searched, when a typo was corrected


def browse(kind: str, params: Mapping | SearchParams | None = None) -> Browse:
    """A page of `search_listings` and, per filter, how many listings each of its values
    would give with the other filters as they are (`facet_counts`)."""
    kind, p = ListingKind(kind), parse_params(params)
    items, total, candidates, searched = _search(kind, p, cards=True)
    corrected = searched if searched and searched != p.q else None
    if p.q and candidates is None:
        return Browse(items, total, {facet: {} for facet in FACETS}, corrected)
    return Browse(items, total, facet_counts(kind, p, candidates), corrected)


def facet_counts(kind: ListingKind, p: SearchParams,
                 candidates: list[int] | None = None) -> dict[str, dict[str, int]]:
    """{facet: {value: count}} over the listings matching `p` with that facet's own filter
    left out; `candidates`: the ids the query found (None: no query).

    With a query the candidates' values are read in one query and counted here; without
    one, one grouped query per facet counts the whole catalogue, and the counts are kept for
    `SEARCH_FACETS_SECONDS` per kind and filters (they move slowly, and cost the most)."""
    if candidates is not None:
        return _candidate_facets(kind, p, candidates)
    key = (str(kind), p.sector, p.trl_min, p.trl_max, p.deal_type, p.lang, p.verified,
           p.challenge)
    kept = current_app.extensions.setdefault("search_facets", {})
    max_age = current_app.config["SEARCH_FACETS_SECONDS"]
    hit = kept.get(key)
    if hit is not None and time.monotonic() - hit[0] < max_age:
        return hit[1]
    out = _catalogue_facets(kind, p)
    if max_age > 0:
        if len(kept) > 1000:
            kept.clear()
        kept[key] = (time.monotonic(), out)
    return out


def _candidate_facets(kind: ListingKind, p: SearchParams,
                      candidates: list[int]) -> dict[str, dict[str, int]]:
    trl = Listing.trl if kind == ListingKind.offering else Listing.min_trl
    rows = db.session.connection().execute(
        sa.select(Listing.sector, trl, sa.cast(Listing.deal_types, sa.Text),
                  Listing.title_ko.is_not(None), Listing.title_en.is_not(None))
        .where(_id_in(candidates), *_filters(kind, replace(
            p, sector=None, trl_min=None, trl_max=None, deal_type=None, lang=None)))).all()
    sectors, levels, deals, langs = Counter(), Counter(), Counter(), Counter()
    codes_of: dict[str | None, tuple[str, ...]] = {}
    for sector, level, deal_text, has_ko, has_en in rows:
        codes = codes_of.get(deal_text)
        if codes is None:  # no code is part of another once quoted
            codes = codes_of[deal_text] = tuple(
                code for code in DEAL_TYPES if f'"{code}"' in (deal_text or ""))
        s_ok = not p.sector or sector == p.sector
        t_ok = ((not p.trl_min or (level or 0) >= p.trl_min)
                and (not p.trl_max or (level is not None and level <= p.trl_max)))
        d_ok = not p.deal_type or p.deal_type in codes
        l_ok = not p.lang or (has_ko if p.lang == "ko" else has_en)
        if sector and t_ok and d_ok and l_ok:
            sectors[sector] += 1
        if level is not None and s_ok and d_ok and l_ok:
            levels[str(level)] += 1
        if s_ok and t_ok and l_ok:
            for code in codes:
                deals[code] += 1
        if s_ok and t_ok and d_ok:
            langs["ko"] += bool(has_ko)
            langs["en"] += bool(has_en)
    return {"sector": dict(sectors), "trl": dict(levels), "deal_type": dict(deals),
            "lang": {lang: n for lang, n in langs.items() if n}}


def _catalogue_facets(kind: ListingKind, p: SearchParams) -> dict[str, dict[str, int]]:
    def where(**without):
        return _filters(kind, replace(p, **without))

    trl = Listing.trl if kind == ListingKind.offering else Listing.min_trl
    out: dict[str, dict[str, int]] = {}
    rows = db.session.execute(sa.select(Listing.sector, sa.func.count())
                              .where(*where(sector=None)).group_by(Listing.sector))
    out["sector"] = {sector: n for sector, n in rows if sector}
    rows = db.session.execute(sa.select(trl, sa.func.count())
                              .where(*where(trl_min=None, trl_max=None)).group_by(trl))
    out["trl"] = {str(level): n for level, n in rows if level is not None}
    deal_text = sa.cast(Listing.deal_types, sa.Text)
    counts = db.session.execute(sa.select(*(
        sa.func.coalesce(sa.func.sum(sa.case((deal_text.like(f'%"{code}"%'), 1), else_=0)), 0)
        for code in DEAL_TYPES)).where(*where(deal_type=None))).one()
    out["deal_type"] = {code: int(n) for code, n in zip(DEAL_TYPES, counts, strict=True) if n}
    counts = db.session.execute(sa.select(*(
        sa.func.coalesce(sa.func.sum(sa.case((getattr(Listing, f"title_{lang}").is_not(None), 1),
                                             else_=0)), 0)
        for lang in ("ko", "en"))).where(*where(lang=None))).one()
    out["lang"] = {lang: int(n) for lang, n in zip(("ko", "en"), counts, strict=True) if n}
    return out
