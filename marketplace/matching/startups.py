"""An investor's startups: the offerings the matching ranked for the investor, gathered into one
row per startup with its best-fitting offerings under it, and weighed by what the startup says
of itself (stage, funding sought) against the investor's profile (stages, ticket, languages,
readiness).

The adjustments are small beside the match scores (0–1) on purpose: the content of the offerings
ranks; stage, ticket and language break near-ties. A startup the investor cannot read is marked
"ask for English" and placed just below an equal fit the investor can read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from ..accounts.models import Organisation
from ..accounts.profiles import OrganisationProfile
from ..extensions import db
from ..i18n.formatting import money
from ..listings.models import Listing
from ..listings.vocabulary import ListingStatus
from .explanation_text import explanation_list
from .records import InvestorMatch, InvestorProfile
from .settings import exchange_rates

BELOW_MIN_TRL = 0.15  # an offering less ready than the investor's minimum drops this much
MORE_OFFERINGS = 0.03  # each further fitting offering (two at most) adds this much
STAGE = 0.05
TICKET = 0.05
UNREADABLE = 0.02
OFFERINGS_SHOWN = 3
#: A startup's stage as the investor profile names it.
INVESTOR_STAGE = {"pre_seed": "pre_seed", "seed": "seed", "series_a": "series_a",
                  "series_b": "series_b", "series_c_plus": "growth"}

PHRASES = {
    ("stage", "fits"): _l("Its stage (%(stage)s) is one you invest in"),
    ("stage", "outside"): _l("Its stage (%(stage)s) is not one you invest in"),
    ("ticket", "fits"): _l("It seeks %(amount)s, within your ticket"),
    ("ticket", "above"): _l("It seeks %(amount)s, more than your ticket"),
    ("ticket", "below"): _l("It seeks %(amount)s, less than your ticket"),
    ("trl", "below"): _l("Some offerings are less ready than your minimum TRL"),
    ("offerings", "many"): _l("%(count)s of its offerings fit"),
}
ASK_FOR_ENGLISH = _l("Korean only — ask for English")
ASK_FOR_KOREAN = _l("English only — ask for Korean")


@dataclass
class OfferingFit:
    match: InvestorMatch
    listing: Listing
    score: float
    explanation: dict
    below_min_trl: bool = False


@dataclass
class StartupFit:
    organisation: Organisation
    score: float
    offerings: list[OfferingFit]
    facts: dict = field(default_factory=dict)

    @property
    def readable(self) -> bool:
        return self.facts.get("readable", True)

    @property
    def missing_language(self) -> str | None:
        """The language to ask for when the investor cannot read any of its offerings."""
        return None if self.readable else self.facts.get("missing_language")

    def parts(self, lang: str | None = None) -> list[str]:
        """Why it ranks where it does, in the reader's language."""
        lang = lang or str(get_locale() or "ko")
        out = explanation_list(self.offerings[0].explanation, lang)[:3]
        with force_locale(lang):
            for key in ("stage", "ticket", "trl", "offerings"):
                value = self.facts.get(key)
                if (key, value) in PHRASES:
                    out.append(str(PHRASES[(key, value)]) % {
                        "stage": self.facts.get("stage_label", ""),
                        "amount": self.facts.get("sought_text", ""),
                        "count": len(self.offerings)})
        return out

    def text(self, lang: str | None = None) -> str:
        return " · ".join(self.parts(lang))


def _in_krw(amount: int | None, currency: str | None, rates: dict[str, float]) -> float | None:
    if amount is None or currency not in rates:
        return None
    return amount * rates[currency]


def _offering_fits(profile: InvestorProfile, rows: list[InvestorMatch]) -> list[OfferingFit]:
    fits = []
    for row in rows:
        below = (profile.trl_min is not None and row.offering.trl is not None
                 and row.offering.trl < profile.trl_min)
        fits.append(OfferingFit(row, row.offering, row.score - (BELOW_MIN_TRL if below else 0.0),
                                row.explanation, below))
    return sorted(fits, key=lambda f: (-f.score, f.listing.id))


def _weigh(profile: InvestorProfile, org: Organisation, own: OrganisationProfile | None,
           offerings: list[OfferingFit], rates: dict[str, float]) -> StartupFit:
    score = offerings[0].score + MORE_OFFERINGS * min(len(offerings) - 1, 2)
    facts: dict = {}
    if len(offerings) > 1:
        facts["offerings"] = "many"
    if any(f.below_min_trl for f in offerings[:OFFERINGS_SHOWN]):
        facts["trl"] = "below"
    if own is not None and own.stage and profile.stages:
        fits = INVESTOR_STAGE.get(own.stage) in profile.stages
        facts["stage"], facts["stage_label"] = ("fits" if fits else "outside"), str(
            own.stage_label)
        score += STAGE if fits else -STAGE
    sought = _in_krw(own.funding_sought, own.funding_currency, rates) if own else None
    low = _in_krw(profile.ticket_min, profile.currency, rates)
    high = _in_krw(profile.ticket_max, profile.currency, rates)
    if sought is not None and (low is not None or high is not None):
        if low is not None and sought < low:
            facts["ticket"] = "below"
        elif high is not None and sought > high:
            facts["ticket"] = "above"
        else:
            facts["ticket"] = "fits"
        facts["sought_text"] = money(own.funding_sought, own.funding_currency)
        score += TICKET if facts["ticket"] == "fits" else -TICKET
    if profile.languages:
        written = {lang for f in offerings for lang in f.listing.languages}
        readable = bool(written & set(profile.languages))
        facts["readable"] = readable
        if not readable:
            facts["missing_language"] = "en" if "en" in profile.languages else "ko"
            score -= UNREADABLE
    return StartupFit(org, round(score, 6), offerings[:OFFERINGS_SHOWN], facts)


def ranked_startups(profile: InvestorProfile | None, limit: int = 20) -> list[StartupFit]:
    """The investor's startups, best first: one per organisation, readable before unreadable
    at an equal score."""
    if profile is None:
        return []
    rows = list(db.session.scalars(
        sa.select(InvestorMatch).join(Listing, Listing.id == InvestorMatch.offering_id)
        .where(InvestorMatch.investor_org_id == profile.organisation_id,
               InvestorMatch.dismissed_at.is_(None), InvestorMatch.rank.is_not(None),
               Listing.status == ListingStatus.published, Listing.hidden_at.is_(None))
        .options(joinedload(InvestorMatch.offering), joinedload(InvestorMatch.startup))))
    by_startup: dict[int, list[InvestorMatch]] = {}
    for row in rows:
        by_startup.setdefault(row.startup_org_id, []).append(row)
    own = {p.organisation_id: p for p in db.session.scalars(sa.select(OrganisationProfile).where(
        OrganisationProfile.organisation_id.in_(list(by_startup))))}
    rates = exchange_rates()
    fits = [_weigh(profile, group[0].startup, own.get(org_id), _offering_fits(profile, group),
                   rates) for org_id, group in by_startup.items()]
    fits.sort(key=lambda f: (-f.score, not f.readable, f.organisation.id))
    return fits[:limit]
