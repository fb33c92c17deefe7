"""Reading the stored matches: a listing's or an investor's recommendations, dismissing one,
where "I am interested" leads, and the staff's list of listings without a good match."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from ..clock import utcnow
from ..errors import NotFound
from ..extensions import db
from ..listings.challenges import Challenge
from ..listings.models import Listing
from ..listings.vocabulary import ListingKind, ListingStatus
from .explanation_text import explanation_list, explanation_text
from .records import InvestorMatch, Match, side_columns
from .settings import setting


@dataclass
class Recommendation:
    match: Match | InvestorMatch
    listing: Listing  # the recommended listing
    score: float
    explanation: dict

    @property
    def text(self) -> str:
        return explanation_text(self.explanation)

    @property
    def parts(self) -> list[str]:
        return explanation_list(self.explanation)

    @property
    def open_challenge(self) -> Challenge | None:
        challenge = self.listing.challenge
        return challenge if challenge is not None and challenge.is_open else None


def can_see_recommendations(listing: Listing, user) -> bool:
    """Only the listing's own organisation and staff see whom it was matched with."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return listing.is_member(user) or user.is_staff


def recommendations(listing: Listing, limit: int = 10) -> list[Recommendation]:
    """Ranked counterparts of `listing`: public ones, not dismissed by its organisation."""
    own_col, other_col, _, _ = side_columns(listing.kind)
    dismissed = (Match.need_dismissed_at if listing.kind == ListingKind.need
                 else Match.offering_dismissed_at)
    Other = sa.orm.aliased(Listing)
    rows = db.session.scalars(
        sa.select(Match).join(Other, Other.id == other_col).where(
            own_col == listing.id, dismissed.is_(None),
            sa.or_(Match.need_rank.is_not(None), Match.offering_rank.is_not(None)),
            Other.status == ListingStatus.published, Other.hidden_at.is_(None))
        .order_by(Match.score.desc(), Match.id).limit(limit))
    other_attr = "offering" if listing.kind == ListingKind.need else "need"
    return [Recommendation(row, getattr(row, other_attr), row.score, row.explanation)
            for row in rows]


def match_for_member_or_404(match_id: int, user) -> tuple[Match, ListingKind]:
    """The match and the side (need or offering) the user's organisation is on."""
    match = db.session.get(Match, match_id)
    org_id = getattr(user, "organisation_id", None)
    if match is None or org_id is None:
        raise NotFound(_l("This recommendation does not exist."))
    if match.need.organisation_id == org_id:
        return match, ListingKind.need
    if match.offering.organisation_id == org_id:
        return match, ListingKind.offering
    raise NotFound(_l("This recommendation does not exist."))


def dismiss(match: Match, side: ListingKind) -> None:
    """Hide the recommendation from that side's list for good (recomputes keep the mark)."""
    if side == ListingKind.need:
        match.need_dismissed_at = match.need_dismissed_at or utcnow()
    else:
        match.offering_dismissed_at = match.offering_dismissed_at or utcnow()
    db.session.flush()


def investor_match_for_member_or_404(match_id: int, user) -> InvestorMatch:
    match = db.session.get(InvestorMatch, match_id)
    if match is None or match.investor_org_id != getattr(user, "organisation_id", None):
        raise NotFound(_l("This recommendation does not exist."))
    return match


def dismiss_investor_match(match: InvestorMatch) -> None:
    match.dismissed_at = match.dismissed_at or utcnow()
    db.session.flush()


def interest_url(match: Match | InvestorMatch, side: ListingKind | None = None) -> str:
    """Where "I am interested" leads: the deal inquiry form, prefilled."""
    if isinstance(match, InvestorMatch):
        return url_for("deals.new", offering=match.offering_id)
    return url_for("deals.new", offering=match.offering_id, need=match.need_id)


def unmatched(kind: ListingKind, limit: int = 50) -> list[tuple[Listing, float | None]]:
    """Staff: public listings whose best current match is weak or missing, weakest first."""
    own_col, _, _, _ = side_columns(kind)
    best = (sa.select(own_col.label("listing_id"), sa.func.max(Match.score).label("best"))
            .where(sa.or_(Match.need_rank.is_not(None), Match.offering_rank.is_not(None)))
            .group_by(own_col).subquery())
    weak = float(setting("MATCHING_WEAK_SCORE"))
    rows = db.session.execute(
        sa.select(Listing, best.c.best).outerjoin(best, best.c.listing_id == Listing.id).where(
            Listing.kind == kind, Listing.status == ListingStatus.published,
            Listing.hidden_at.is_(None), sa.or_(best.c.best.is_(None), best.c.best < weak))
        .order_by(best.c.best.is_not(None), best.c.best, Listing.published_at).limit(limit))
    return [(listing, score) for listing, score in rows]
