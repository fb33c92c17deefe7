"""Structured signals a deal officer checks after "is it the right problem?".

Each function compares one need with one offering and returns a small verdict plus a penalty or
bonus on the score's scale (weights are applied by the engine). Missing data is never punished:
an unknown TRL, deal type or price is neutral.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .listing_data import Listing

# Sectors whose listings often solve each other's problems. Sector labels are the posters' own
# choice (a data-centre cooling optimiser may be filed under "ai" or "energy"), so sector agreement
# is a soft signal only.
_RELATED_SECTORS: frozenset[frozenset[str]] = frozenset(
    frozenset(pair)
    for pair in [
        ("ai", "data"),
        ("bio_health", "medical_device"),
        ("fintech", "blockchain"),
        ("fintech", "security"),
        ("mobility", "drone"),
        ("mobility", "iot"),
        ("drone", "robotics"),
        ("robotics", "manufacturing"),
        ("iot", "security"),
        ("iot", "energy"),
        ("iot", "proptech"),
        ("energy", "environment"),
        ("energy", "proptech"),
        ("environment", "fashion"),
        ("fashion", "ecommerce"),
        ("content_xr", "media"),
        ("content_xr", "edutech"),
        ("media", "edutech"),
        ("blockchain", "security"),
        ("data", "security"),
    ]
)


def sector_affinity(a: str | None, b: str | None) -> float:
    """1 for the same sector, 0.5 for closely related sectors, 0 otherwise (or unknown)."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return 0.5 if frozenset((a, b)) in _RELATED_SECTORS else 0.0


@dataclass(frozen=True, slots=True)
class TrlFit:
    status: str  # "meets" | "below" | "unknown"
    offering_trl: int | None
    min_trl: int | None

    @property
    def gap(self) -> int:
        if self.status != "below":
            return 0
        assert self.offering_trl is not None and self.min_trl is not None
        return self.min_trl - self.offering_trl


def trl_fit(need: Listing, offering: Listing) -> TrlFit:
    """Does the offering reach the need's minimum Technology Readiness Level?"""
    if need.min_trl is None or offering.trl is None:
        return TrlFit("unknown", offering.trl, need.min_trl)
    status = "meets" if offering.trl >= need.min_trl else "below"
    return TrlFit(status, offering.trl, need.min_trl)


def trl_penalty(fit: TrlFit) -> float:
    """0 when the minimum is met; 1 for one level short, growing by half a level up to 2."""
    gap = fit.gap
    if gap <= 0:
        return 0.0
    return min(1.0 + 0.5 * (gap - 1), 2.0)


def deal_overlap(need: Listing, offering: Listing) -> tuple[str, ...] | None:
    """Deal types both sides accept, in the need's order; ``None`` when either side gave none."""
    if not need.deal_types or not offering.deal_types:
        return None
    offered = set(offering.deal_types)
    return tuple(t for t in need.deal_types if t in offered)


@dataclass(frozen=True, slots=True)
class BudgetFit:
    status: str  # "fits" | "above" | "below" | "unknown"
    ratio: float = 1.0  # how far apart the ranges are (>= 1), for "above"/"below"


def _range(listing: Listing) -> tuple[float, float] | None:
    lo, hi = listing.price_min, listing.price_max
    if lo is None and hi is None:
        return None
    lo = lo if lo is not None else hi
    hi = hi if hi is not None else lo
    assert lo is not None and hi is not None
    return (min(lo, hi), max(lo, hi))


def budget_fit(
    need: Listing, offering: Listing, rates: Mapping[str, float] | None = None
) -> BudgetFit:
    """Compare the need's budget range with the offering's price range.

    ``rates`` gives the worth of one minor unit of each currency in a common unit (the app's
    ``MATCHING_EXCHANGE_RATES``). Amounts in different currencies are compared through them;
    without a rate for both, the honest answer is "unknown", which is neutral.
    """
    budget, price = _range(need), _range(offering)
    if budget is None or price is None:
        return BudgetFit("unknown")
    if need.currency and offering.currency and need.currency != offering.currency:
        if not rates or need.currency not in rates or offering.currency not in rates:
            return BudgetFit("unknown")
        factor = rates[offering.currency] / rates[need.currency]
        price = (price[0] * factor, price[1] * factor)
    if price[0] > budget[1]:
        return BudgetFit("above", price[0] / max(budget[1], 1))
    if price[1] < budget[0]:
        # cheaper than the budget: rarely a problem, but a very cheap offer may be a lesser scope
        return BudgetFit("below", budget[0] / max(price[1], 1))
    return BudgetFit("fits")


def budget_penalty(fit: BudgetFit) -> float:
    """0 when ranges overlap; up to 1 when the price is 4x or more above the budget."""
    if fit.status == "above":
        return min(1.0, math.log(fit.ratio) / math.log(4.0))
    return 0.0
