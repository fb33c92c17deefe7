"""A startup proposes its technology for a firm's published need: a deal with the startup as the
seller and the need's organisation as the buyer, opened like every deal (`services.open_deal`).

The startup picks one of its published offerings, or writes a short proposal (a title and a
summary) when none fits. A written proposal becomes a *draft* offering of the startup that the
deal points to: every deal keeps an offering (contracts, statistics and the deal pages read
it), the draft is seen by nobody outside the deal, and the startup may complete and publish it
later. Each member of the need's organisation hears of a proposal (`proposal_received`).
"""

import re

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..accounts.models import OrgKind, User
from ..errors import NotFound, PermissionDenied
from ..extensions import db
from ..listings.models import Listing, ListingVersion
from ..listings.search import index_listing
from ..listings.vocabulary import ListingKind, ListingStatus
from ..notifications import notify, register_kind
from ..notifications.services import Rendered
from . import services
from .models import Deal
from .services import InvalidProposal
from .states import DealType, Side

MAX_TITLE = 200
MAX_SUMMARY = 300
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def need_is_open(need: Listing | None) -> bool:
    return (need is not None and need.kind == ListingKind.need and need.is_public)


def may_propose(user) -> bool:
    """Whether the proposal section is for `user` at all: an active member of a startup."""
    org = getattr(user, "organisation", None) if getattr(user, "is_authenticated", False) \
        else None
    return bool(org is not None and user.is_active and org.kind == OrgKind.startup)


def refusal(user, need: Listing):
    """Why `user` (a startup member) cannot propose for `need` now, or None."""
    if not user.organisation.is_verified:
        return _l("Your startup must be verified by staff before it can propose its "
                  "technology for a need.")
    pending = services.open_proposal(user.organisation_id, need.id)
    if pending:
        return _l("Your organisation already has an open proposal for this need "
                  "(deal #%(id)s).", id=pending)
    return None


def accepted_types(need: Listing) -> list[str]:
    """The deal types a proposal for `need` may take (those the need lists; any if none)."""
    return [t.value for t in DealType if t != DealType.acquisition
            and (not need.deal_types or t.value in need.deal_types)]


def own_offerings(user) -> list[Listing]:
    return db.session.scalars(sa.select(Listing).where(
        Listing.organisation_id == user.organisation_id, Listing.kind == ListingKind.offering,
        Listing.status == ListingStatus.published, Listing.hidden_at.is_(None))
        .order_by(Listing.id.desc())).all()


def propose(actor: User, need: Listing | None, *, deal_type: str, message: str,
            offering: Listing | None = None, title: str | None = None,
            summary: str | None = None) -> Deal:
    """Open the startup's proposal for `need`, with `offering` or a written title and summary.
    Flushes; the caller commits."""
    org = actor.organisation if getattr(actor, "is_authenticated", False) else None
    if org is None or not actor.is_active:
        raise PermissionDenied(_l("Only members of an organisation can open deals."))
    if not need_is_open(need):
        raise NotFound(_l("This need is not available."))
    if org.kind != OrgKind.startup:
        raise PermissionDenied(_l("Only startups can propose their technology for a need."))
    if not org.is_verified:
        raise PermissionDenied(_l("Your startup must be verified by staff before it can "
                                  "propose its technology for a need."))
    if offering is not None:
        if (offering.organisation_id != org.id or offering.kind != ListingKind.offering
                or not offering.is_public):
            raise InvalidProposal(_l("Choose one of your published offerings."),
                              {"offering_id": [_l("Choose one of your published offerings.")]})
        return services.open_deal(actor, offering, need, deal_type=deal_type, message=message)
    if deal_type not in accepted_types(need):
        raise InvalidProposal(_l("This need does not accept that kind of deal."),
                          {"deal_type": [_l("Choose a deal type the need accepts.")]})
    written = _written_offering(actor, need, deal_type, title, summary)
    return services.open_deal(actor, written, need, deal_type=deal_type, message=message,
                              unlisted=True)


def _written_offering(actor: User, need: Listing, deal_type: str, title, summary) -> Listing:
    """A draft offering of the actor's startup holding a written proposal (one line each, in
    the language it is written in), in the need's sector."""
    title, summary = " ".join((title or "").split()), " ".join((summary or "").split())
    fields = {}
    for name, value, limit in (("title", title, MAX_TITLE), ("summary", summary, MAX_SUMMARY)):
        if not value:
            fields[name] = [_l("This field is required.")]
        elif len(value) > limit:
            fields[name] = [_l("Use at most %(n)d characters.", n=limit)]
    if fields:
        if "title" in fields and "summary" in fields and not (title or summary):
            message = _l("Choose one of your offerings, or write a short proposal.")
        else:
            message = _l("Check the proposal's title and summary.")
        raise InvalidProposal(message, fields)
    lang = "ko" if _HANGUL.search(title + summary) else "en"
    offering = Listing(kind=ListingKind.offering, status=ListingStatus.draft,
                       organisation_id=actor.organisation_id, created_by_id=actor.id, version=1,
                       sector=need.sector, deal_types=[deal_type],
                       **{f"title_{lang}": title, f"summary_{lang}": summary})
    db.session.add(offering)
    db.session.flush()
    db.session.add(ListingVersion(listing_id=offering.id, version=1, created_by_id=actor.id,
                                  snapshot=offering.snapshot()))
    index_listing(offering)
    return offering


# ---- the firm's side ----------------------------------------------------------------------

def can_review(user, need: Listing) -> bool:
    """The need's organisation and staff see the proposals made for it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return need.is_member(user) or user.is_staff


def proposals_for(need: Listing) -> list[Deal]:
    """Every proposal startups made for `need`, newest first."""
    return db.session.scalars(sa.select(Deal).where(
        Deal.need_id == need.id, Deal.initiator_side == Side.seller)
        .order_by(Deal.created_at.desc(), Deal.id.desc())).all()


# ---- telling the firm ---------------------------------------------------------------------

def on_open(deal: Deal, event, actor) -> None:
    """A deal opened by a startup for a need is a proposal: every active member of the need's
    organisation is told (the centre e-mails them as each prefers)."""
    if not deal.is_proposal:
        return
    for user in User.active_members(deal.buyer_org_id):
        notify(user, "proposal_received", deal, need_id=deal.need_id,
               offering_id=deal.offering_id)


@register_kind("proposal_received", _l("A startup proposed its technology for your need"))
def _received(notice) -> Rendered | None:
    deal = db.session.get(Deal, notice.subject_id)
    if deal is None:
        return None
    need = deal.need
    return Rendered(gettext("%(startup)s proposed “%(offering)s” for your need “%(need)s”.",
                            startup=deal.seller.name, offering=deal.offering.title,
                            need=need.title if need is not None else "—"),
                    "deals.detail", {"deal_id": deal.id}, deal_id=deal.id)
