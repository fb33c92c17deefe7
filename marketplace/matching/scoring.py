"""How a candidate's score is put together: the weights, and the structured signals (TRL, deal
types, budget, sector) of a whole shortlist at once as arrays, which mirror :mod:`.signals`.
Pure: no Flask, no database."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .glossary import SECTORS
from .listing_data import Listing
from .signals import sector_affinity

DEAL_TYPES = (
    "license",
    "transfer",
    "joint_development",
    "poc",
    "supply",
    "investment",
    "acquisition",
)
_SECTOR_CODE = {s: i for i, s in enumerate(SECTORS)}
# sector_affinity as a lookup table; the last row/column is "no sector"
_AFFINITY = np.zeros((len(SECTORS) + 1, len(SECTORS) + 1), dtype=np.float64)
for _i, _a in enumerate(SECTORS):
    for _j, _b in enumerate(SECTORS):
        _AFFINITY[_i, _j] = sector_affinity(_a, _b)


@dataclass(frozen=True, slots=True)
class Weights:
    """Few, interpretable weights, all on the scale of the semantic cosine (~0.2 to 0.7).

    The cosine carries most of the topic signal. Shared glossary concepts add what it misses on
    domain terms across languages. BM25 only breaks ties: it can reward only same-language pairs
    (a Korean need shares almost no tokens with an English offering), so a larger weight would
    favour listings written in the query's language, which relevance does not depend on.
    Penalties are sized against the gap between fitting and unrelated candidates (~0.1): one TRL
    level short or no deal type in common drops an offering below comparable fits that meet the
    constraint, but not below offerings for a different problem, which a deal officer would
    still rank lower.
    """

    semantic: float = 1.0
    lexical: float = 0.05
    concepts: float = 0.2
    trl: float = 0.04  # per penalty unit: 1 for one level short, +0.5 a level, at most 2
    deal: float = 0.03  # no deal type in common
    budget: float = 0.05  # at most this much, when the price is 4x or more above the budget
    sector: float = 0.03  # same sector; half for a related one
    broader_concept: float = 0.5  # weight of a broader concept relative to a named one


DEFAULT_WEIGHTS = Weights()



class StructuredFields:
    """A listing's structured fields as numbers, so a shortlist is scored without Python loops."""

    __slots__ = ("readiness", "deals", "sector", "lo", "hi", "currency")

    def __init__(
        self, listings: Sequence[Listing], codes: dict[str, int], currencies: dict[str, int]
    ) -> None:
        n = len(listings)
        self.readiness = np.full(n, np.nan)
        self.deals = np.zeros(n, dtype=np.int64)
        self.sector = np.full(n, len(SECTORS), dtype=np.int16)
        self.lo = np.full(n, np.nan)
        self.hi = np.full(n, np.nan)
        self.currency = np.full(n, -1, dtype=np.int32)
        for i, listing in enumerate(listings):
            r = listing.readiness
            if r is not None:
                self.readiness[i] = r
            for deal_type in listing.deal_types:
                self.deals[i] |= 1 << codes.setdefault(deal_type, len(codes))
            self.sector[i] = _SECTOR_CODE.get(listing.sector or "", len(SECTORS))
            lo, hi = listing.price_min, listing.price_max
            if lo is not None or hi is not None:
                lo = lo if lo is not None else hi
                hi = hi if hi is not None else lo
                self.lo[i], self.hi[i] = min(lo, hi), max(lo, hi)  # type: ignore[type-var]
            if listing.currency:
                self.currency[i] = currencies.setdefault(listing.currency, len(currencies))

    def extended(self, more: StructuredFields) -> StructuredFields:
        out = StructuredFields.__new__(StructuredFields)
        for name in self.__slots__:
            setattr(out, name, np.concatenate([getattr(self, name), getattr(more, name)]))
        return out


def structured_adjustments(
    query: Listing,
    fields: StructuredFields,
    deal_codes: dict[str, int],
    currencies: dict[str, int],
    rows: np.ndarray,
    weights: Weights,
    rates: Mapping[str, float],
) -> dict[str, np.ndarray]:
    """The TRL, deal, budget and sector terms of the score for the candidates at ``rows``."""
    w, st = weights, fields
    # copies: a query with a deal type or currency the index has not seen must not add it
    # to an index that other queries are reading
    currencies = dict(currencies)
    q = StructuredFields([query], dict(deal_codes), currencies)
    need_side = query.kind == "need"
    # TRL: the need's minimum against the offering's level
    min_trl = q.readiness[0] if need_side else st.readiness[rows]
    trl = st.readiness[rows] if need_side else q.readiness[0]
    gap = np.nan_to_num(np.asarray(min_trl - trl, dtype=np.float64), nan=0.0)
    trl_pen = np.where(gap > 0, np.minimum(1.0 + 0.5 * (gap - 1.0), 2.0), 0.0)
    # deal types: a penalty only when both sides named some and none is shared
    cand_deals = st.deals[rows]
    no_deal = (q.deals[0] != 0) & (cand_deals != 0) & ((cand_deals & q.deals[0]) == 0)
    # budget: the offering's lowest price against the need's highest budget
    if need_side:
        budget_hi, price_lo = q.hi[0], st.lo[rows]
    else:
        budget_hi, price_lo = st.hi[rows], q.lo[0]
    same_currency = (q.currency[0] == st.currency[rows]) | (q.currency[0] < 0)
    same_currency |= st.currency[rows] < 0
    # the candidates' amounts in the query's currency, where both have a rate
    rate = np.full(len(currencies) + 1, np.nan)  # code -1 (none) reads the last: nan
    for code, i in currencies.items():
        rate[i] = rates.get(code, np.nan)
    factor = np.where(same_currency, 1.0, rate[st.currency[rows]] / rate[q.currency[0]])
    comparable = np.isfinite(factor)
    if need_side:
        price_lo = price_lo * factor
    else:
        budget_hi = budget_hi * factor
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.asarray(price_lo / np.maximum(budget_hi, 1.0), dtype=np.float64)
        above = (price_lo > budget_hi) & comparable
        budget_pen = np.where(above, np.minimum(1.0, np.log(ratio) / math.log(4.0)), 0.0)
    affinity = _AFFINITY[q.sector[0], st.sector[rows]]
    return {
        "trl": -w.trl * trl_pen,
        "deal": -w.deal * no_deal.astype(np.float64),
        "budget": -w.budget * np.nan_to_num(budget_pen, nan=0.0),
        "sector": w.sector * affinity,
    }
