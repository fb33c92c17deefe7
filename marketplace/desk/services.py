"""The desk: what waits on the user, what is new for them, their organisation's listings with
their numbers, and a new account's next steps. Each part is read in a fixed number of queries,
however many deals, listings or notices there are."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..accounts.models import DETAIL_LIMITS, Verification
from ..clock import utcnow
from ..deals.models import Deal
from ..deals.states import Side
from ..extensions import db
from ..listings.models import Listing, ListingKind, ListingStatus
from ..listings.visits import distinct_viewers, local_day
from ..listings.vocabulary import kind_for_organisation
from ..notifications import services as notices
from ..notifications.models import Notification
from ..saved import bookmark_counts
from .turns import Turn, turns_for

WINDOW_DAYS = 30
NEWS_LIMIT = 10
#: Notices the desk shows even once read: recommendations, saved-search results, proposals on
#: the organisation's needs, questions and deal events (unread notices of any kind come first).
NEWS_KINDS = ("match_found", "investor_match_found", "saved_search", "proposal_received",
              "question_asked", "question_answered", "deal_event")


# ---- what waits for me --------------------------------------------------------------------

TITLES = {
    "answer_inquiry": _l("Answer the inquiry on deal #%(id)s: %(title)s"),
    "confirm_nda": _l("Confirm the NDA on deal #%(id)s: %(title)s"),
    "answer_offer": _l("Answer the offer on deal #%(id)s: %(title)s"),
    "approve_contract": _l("Approve the contract on deal #%(id)s: %(title)s"),
    "sign_contract": _l("Sign the contract on deal #%(id)s: %(title)s"),
    "pay": _l("Make the payment on deal #%(id)s: %(title)s"),
    "confirm_transfer": _l("Confirm the bank transfer on deal #%(id)s: %(title)s"),
}


def action_title(turn: Turn) -> str:
    return str(TITLES[turn.kind]) % {"id": turn.deal.id, "title": turn.deal.title}


def action_url(turn: Turn, **kwargs) -> str:
    deal_id = turn.deal.id
    if turn.kind == "answer_offer":
        return url_for("deals.detail", deal_id=deal_id, _anchor="terms", **kwargs)
    if turn.kind == "confirm_nda":
        return url_for("agreements.nda", deal_id=deal_id, **kwargs)
    if turn.kind == "approve_contract":
        return url_for("agreements.contract", deal_id=deal_id, _anchor="approvals", **kwargs)
    if turn.kind == "sign_contract":
        return url_for("agreements.contract", deal_id=deal_id, _anchor="signing", **kwargs)
    if turn.kind in ("pay", "confirm_transfer"):
        return url_for("payments.deal_payments", deal_id=deal_id,
                       _anchor=f"request-{turn.request_id}", **kwargs)
    return url_for("deals.detail", deal_id=deal_id, **kwargs)


@dataclass(frozen=True)
class Action:
    kind: str
    title: str
    url: str
    deal_id: int
    since: datetime


def actions_for(user, **url_kwargs) -> list[Action]:
    """What waits on `user`, oldest first, titled in the current locale."""
    return [Action(t.kind, action_title(t), action_url(t, **url_kwargs), t.deal.id, t.since)
            for t in turns_for(user)]


# ---- what is new --------------------------------------------------------------------------

@dataclass(frozen=True)
class News:
    id: int
    kind: str
    title: str
    url: str
    created_at: datetime
    read: bool


def news_for(user, limit: int = NEWS_LIMIT, **url_kwargs) -> list[News]:
    """The user's unread notices (any kind), then read ones of `NEWS_KINDS`; newest first in
    each, at most `limit`. Opening one marks it read (the notification centre's link)."""
    base = sa.select(Notification).where(Notification.user_id == user.id)
    unread = list(db.session.scalars(base.where(Notification.read_at.is_(None))
                                     .order_by(Notification.id.desc()).limit(limit)))
    read = []
    if len(unread) < limit:
        read = list(db.session.scalars(
            base.where(Notification.read_at.is_not(None), Notification.kind.in_(NEWS_KINDS))
            .order_by(Notification.id.desc()).limit(limit - len(unread))))
    items = []
    for notice in unread + read:
        view = notices.rendered(notice)
        if view is None:
            continue
        items.append(News(notice.id, notice.kind, view.title,
                          url_for("notifications.open_one", notification_id=notice.id,
                                  **url_kwargs),
                          notice.created_at, notice.read_at is not None))
    return items


# ---- my listings with their numbers -------------------------------------------------------

def _inquiries(listing_ids: list[int], since: datetime) -> dict[int, int]:
    """Deals a buyer opened on each offering since `since`."""
    return dict(db.session.execute(
        sa.select(Deal.offering_id, sa.func.count(Deal.id))
        .where(Deal.offering_id.in_(listing_ids), Deal.initiator_side == Side.buyer,
               Deal.created_at >= since).group_by(Deal.offering_id)).all())


def _proposals(listing_ids: list[int], since: datetime) -> dict[int, int]:
    """Deals a startup proposed on each need since `since`."""
    return dict(db.session.execute(
        sa.select(Deal.need_id, sa.func.count(Deal.id))
        .where(Deal.need_id.in_(listing_ids), Deal.initiator_side == Side.seller,
               Deal.created_at >= since).group_by(Deal.need_id)).all())


@dataclass(frozen=True)
class Counter:
    """A number shown for each listing: `count(listing_ids, since_day, since)` answers
    {listing_id: n}; `since_day` is the first day of the window in the platform's time zone,
    `since` the same moment as a UTC time."""

    key: str
    label: object
    count: Callable[[list[int], date, datetime], dict[int, int]]


#: The columns of the listings table and the API, in order.
COUNTERS: list[Counter] = [
    Counter("views_30d", _l("Organisations that viewed it"),
            lambda ids, day, since: distinct_viewers(ids, day)),
    Counter("inquiries_30d", _l("Inquiries received"),
            lambda ids, day, since: _inquiries(ids, since)),
    Counter("proposals_30d", _l("Proposals received"),
            lambda ids, day, since: _proposals(ids, since)),
    Counter("bookmarks_30d", _l("Bookmarked"),
            lambda ids, day, since: bookmark_counts(ids, since)),
]


@dataclass
class ListingNumbers:
    listing: Listing
    numbers: dict[str, int] = field(default_factory=dict)


def window_start() -> tuple[date, datetime]:
    """The first day of the last `WINDOW_DAYS` days (today included), and its start in UTC
    (approximately: the day's start in the platform's time zone)."""
    first = local_day() - timedelta(days=WINDOW_DAYS - 1)
    return first, utcnow() - timedelta(days=WINDOW_DAYS)


def listings_for(user) -> list[ListingNumbers]:
    """The organisation's listings (archived ones aside), newest first, with their numbers."""
    org_id = getattr(user, "organisation_id", None)
    if org_id is None:
        return []
    listings = db.session.scalars(
        sa.select(Listing).where(Listing.organisation_id == org_id,
                                 Listing.status != ListingStatus.archived)
        .order_by(Listing.created_at.desc(), Listing.id.desc())).all()
    if not listings:
        return []
    ids = [listing.id for listing in listings]
    day, since = window_start()
    counted = {counter.key: counter.count(ids, day, since) for counter in COUNTERS}
    return [ListingNumbers(listing, {key: counts.get(listing.id, 0)
                                     for key, counts in counted.items()})
            for listing in listings]


# ---- a new account's next steps -----------------------------------------------------------

DETAIL_LABELS = {
    "address_ko": _l("Address (Korean)"),
    "address_en": _l("Address (English)"),
    "representative_ko": _l("Representative (Korean)"),
    "representative_en": _l("Representative (English)"),
    "business_type": _l("Business type (업태)"),
    "business_item": _l("Business item (종목)"),
}


@dataclass(frozen=True)
class Step:
    kind: str
    title: str
    detail: str
    url: str | None = None
    missing: tuple[str, ...] = ()


def next_steps(user, has_listings: bool) -> list[Step]:
    """What a new account still has to do: wait for (or answer) verification, fill in the
    organisation's details contracts print, post a first listing."""
    org = getattr(user, "organisation", None)
    if org is None:
        return []
    steps = []
    if org.verification == Verification.pending:
        steps.append(Step("verification_pending", _("Your organisation is awaiting verification"),
                          _("Staff check every organisation before it can publish listings or "
                            "open deals. You can already prepare drafts; you will be notified "
                            "when the check is done.")))
    elif org.verification == Verification.rejected:
        steps.append(Step("verification_rejected", _("Your organisation's verification was "
                                                     "rejected"),
                          _("Staff gave this reason: %(reason)s",
                            reason=org.verification_reason or "—"),
                          url_for("accounts.organisation", org_id=org.id)))
    missing = tuple(str(label) for name, label in DETAIL_LABELS.items()
                    if name in DETAIL_LIMITS and not getattr(org, name))
    if missing:
        steps.append(Step("complete_profile", _("Complete your organisation's details"),
                          _("Contracts and tax invoices print these details. Still missing:"),
                          url_for("accounts.organisation_details", org_id=org.id), missing))
    kind = kind_for_organisation(org)
    if not has_listings and kind is not None:
        if kind == ListingKind.need:
            steps.append(Step("first_listing", _("Post your first need"),
                              _("Describe the technology you are looking for; startups that "
                                "have it will be recommended to you."),
                              url_for("listings.new_need")))
        else:
            steps.append(Step("first_listing", _("Post your first offering"),
                              _("Describe your technology; firms that need it will be "
                                "recommended to you."),
                              url_for("listings.new_offering")))
    return steps


# ---- the whole desk -----------------------------------------------------------------------

@dataclass
class Desk:
    actions: list[Action]
    news: list[News]
    listings: list[ListingNumbers]
    steps: list[Step]


def desk_for(user, **url_kwargs) -> Desk:
    listings = listings_for(user)
    return Desk(actions=actions_for(user, **url_kwargs), news=news_for(user, **url_kwargs),
                listings=listings, steps=next_steps(user, bool(listings)))
