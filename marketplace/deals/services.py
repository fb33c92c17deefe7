"""Work spanning the deal and other objects: opening a deal, scoped lookups, staff queues, the
NDA confirmation, the expiry job and the API's shapes. Services flush; callers commit.

The conversation is in `messages.py`, notices in `notifications.py`.
"""

import hashlib
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import jobs
from ..accounts.models import Organisation, OrgKind, User
from ..clock import utcnow
from ..errors import Conflict, DomainError, NotFound, PermissionDenied, checked_text
from ..extensions import db
from ..listings.models import (
    Listing,
    ListingKind,
    ListingStatus,
)
from .messages import MAX_MESSAGE, DealMessage
from .models import Deal
from .states import BUYER_KINDS, OPEN_STATES, SYSTEM, TERMINAL_STATES, DealState, DealType, Side

# ---- opening ------------------------------------------------------------------------------

def open_deal(actor: User, offering: Listing, need: Listing | None = None, *,
              deal_type: str, message: str, require_nda: bool = False,
              unlisted: bool = False) -> Deal:
    """Open a deal on a published offering; flushes, the caller commits.

    The actor is a member of the buying organisation (a firm, agency or investor; `need`, when
    given, must be its own), or of the offering's startup proposing it for `need` (a
    recommendation or a challenge answer), in which case the need's organisation buys: a
    proposal, for a deal type the need accepts, one open proposal per startup and need. With
    `unlisted`, the offering may be the proposing startup's own draft (a written proposal).
    """
    org = actor.organisation if actor.is_authenticated else None
    if org is None or not actor.is_active:
        raise PermissionDenied(_l("Only members of an organisation can open deals."))
    if not org.is_verified:
        raise PermissionDenied(_l("Your organisation must be verified by staff before it can "
                                  "open deals."))
    own_draft = (unlisted and offering is not None and offering.organisation_id == org.id
                 and offering.status == ListingStatus.draft)
    if offering is None or offering.kind != ListingKind.offering or not (
            offering.is_public or own_draft):
        raise NotFound(_l("This offering is not available."))
    if need is not None and (need.kind != ListingKind.need or need.is_hidden
                             or need.status != ListingStatus.published):
        raise NotFound(_l("This need is not available."))
    if org.id == offering.organisation_id:
        if need is None:
            raise DomainError(_l("Choose the need you are proposing your offering for."),
                              {"need_id": [_l("This field is required.")]})
        buyer, initiator = need.organisation, Side.seller
    else:
        if need is not None and need.organisation_id != org.id:
            raise PermissionDenied(_l("You can only open a deal for your own organisation's "
                                      "need."))
        buyer, initiator = org, Side.buyer
    if buyer.kind not in BUYER_KINDS:
        raise PermissionDenied(_l("Deals are opened by firms, agencies and investors with a "
                                  "startup's offering."))
    try:
        kind = DealType(deal_type)
    except ValueError:
        raise DomainError(_l("Choose a deal type."),
                          {"deal_type": [_l("Choose a deal type.")]}) from None
    if offering.deal_types and kind.value not in offering.deal_types \
            and kind not in (DealType.investment, DealType.acquisition):
        raise DomainError(_l("This offering is not available for that kind of deal."),
                          {"deal_type": [_l("The offering does not list this deal type.")]})
    if kind in (DealType.investment, DealType.acquisition) and buyer.kind == OrgKind.agency:
        raise DomainError(_l("Agencies cannot open investment or acquisition deals."),
                          {"deal_type": [_l("Choose another deal type.")]})
    text = checked_text(message, "message", MAX_MESSAGE,
                        missing=_l("Write a first message to the other side."),
                        too_long=_l("The message is too long."))
    if initiator == Side.seller:
        _check_proposal(org, need, kind)
    # The need's and the offering's row locks: two requests opening the same deal (or the same
    # startup's proposals for one need) run one after the other, so the second finds the first
    # instead of opening a twin.
    if need is not None:
        db.session.execute(sa.select(Listing.id).where(Listing.id == need.id).with_for_update())
    db.session.execute(sa.select(Listing.id).where(Listing.id == offering.id).with_for_update())
    if initiator == Side.seller:
        pending = open_proposal(org.id, need.id)
        if pending:
            raise Conflict(_l("Your organisation already has an open proposal for this need "
                              "(deal #%(id)s).", id=pending))
    same_need = Deal.need_id == need.id if need is not None else Deal.need_id.is_(None)
    existing = db.session.scalar(sa.select(Deal.id).where(
        Deal.buyer_org_id == buyer.id, Deal.offering_id == offering.id, same_need,
        Deal.deal_type == kind, Deal.state.not_in(TERMINAL_STATES)))
    if existing:
        raise Conflict(_l("There is already an open deal of this type on this offering "
                          "(deal #%(id)s).", id=existing))
    deal = Deal(deal_type=kind, buyer_org_id=buyer.id, seller_org_id=offering.organisation_id,
                initiator_side=initiator, offering_id=offering.id,
                need_id=need.id if need is not None else None, opened_by_id=actor.id,
                nda_required=bool(require_nda), nda_required_by=initiator if require_nda
                else None)
    db.session.add(deal)
    db.session.flush()
    first = DealMessage(deal_id=deal.id, author_user_id=actor.id, author_side=initiator,
                        body=text)
    db.session.add(first)
    db.session.flush()
    deal.record_event("open", actor, {
        "deal_type": kind.value, "offering_id": offering.id,
        "need_id": need.id if need is not None else None, "initiator": initiator.value,
        "nda_required": deal.nda_required, "message_id": first.id,
        "message_digest": hashlib.sha256(text.encode()).hexdigest()},
        target=DealState.inquiry)
    return deal


class InvalidProposal(DomainError):
    """A startup's proposal for a need that cannot be made as written."""

    status = 422
    code = "invalid_proposal"


def _check_proposal(org: Organisation, need: Listing, kind: DealType) -> None:
    """What a startup's proposal for a need must hold beyond any deal's rules."""
    if need.organisation_id == org.id:
        raise PermissionDenied(_l("You cannot propose for your own organisation's need."))
    if need.deal_types and kind.value not in need.deal_types:
        raise InvalidProposal(_l("This need does not accept that kind of deal."),
                              {"deal_type": [_l("Choose a deal type the need accepts.")]})


def open_proposal(seller_org_id: int, need_id: int) -> int | None:
    """The id of the seller's deal on `need_id` that is still open, if any."""
    return db.session.scalar(sa.select(Deal.id).where(
        Deal.seller_org_id == seller_org_id, Deal.need_id == need_id,
        Deal.state.not_in(TERMINAL_STATES)).order_by(Deal.id).limit(1))


# ---- scoped lookups -----------------------------------------------------------------------

def visible_to(user):
    """A WHERE clause: the deals whose content `user` may see (their organisation's, or the
    ones they are assigned to as staff; admins too only when assigned)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return sa.false()
    clauses = []
    if user.organisation_id is not None:
        clauses += [Deal.buyer_org_id == user.organisation_id,
                    Deal.seller_org_id == user.organisation_id]
    if user.is_staff:
        clauses.append(Deal.assigned_staff_id == user.id)
    return sa.or_(*clauses) if clauses else sa.false()


def listed_for(user):
    """A WHERE clause: the deals whose existence and state `user` sees in lists — the ones
    they may read, and every deal for admins (who assign staff to them)."""
    if getattr(user, "is_authenticated", False) and user.is_active and user.is_admin:
        return sa.true()
    return visible_to(user)


def deal_for_viewer_or_404(deal_id: int, user) -> Deal:
    """The deal when `user` is a party or its assigned staff; NotFound otherwise (whether or
    not it exists). Everything showing the deal's content goes through here."""
    deal = db.session.scalar(sa.select(Deal).where(Deal.id == deal_id, visible_to(user)))
    if deal is None:
        raise NotFound(_l("This deal does not exist or is not yours to see."))
    return deal


def deal_header_for_or_404(deal_id: int, user) -> Deal:
    """The deal when `user` may at least see its header (parties, type, state, staff): whoever
    may read it, staff while it waits in the help queue, admins always. NotFound otherwise."""
    deal = db.session.get(Deal, deal_id)
    if deal is None or not (deal.can_view(user) or deal.can_claim(user)
                            or (getattr(user, "is_active", False) and user.is_admin)):
        raise NotFound(_l("This deal does not exist or is not yours to see."))
    return deal


def deal_for_claim_or_404(deal_id: int, user) -> Deal:
    """A deal waiting in the staff help queue, for staff; NotFound for anyone else."""
    deal = db.session.get(Deal, deal_id)
    if deal is None or not (deal.can_view(user) or deal.can_claim(user)):
        raise NotFound(_l("This deal does not exist or is not yours to see."))
    return deal


def deals_for(user, state: str | None = None, *, listed: bool = False):
    """The deals `user` may read, newest activity first; with `listed`, also those whose
    header only they see (for lists)."""
    scope = listed_for(user) if listed else visible_to(user)
    stmt = sa.select(Deal).where(scope).order_by(Deal.last_activity_at.desc())
    if state == "open":
        stmt = stmt.where(Deal.state.not_in(TERMINAL_STATES))
    elif state == "ended":
        stmt = stmt.where(Deal.state.in_(TERMINAL_STATES))
    return stmt


def help_queue():
    """Deals whose parties asked for staff and that nobody has picked up yet."""
    return db.session.scalars(sa.select(Deal).where(
        Deal.help_requested_at.is_not(None), Deal.assigned_staff_id.is_(None),
        Deal.state.not_in(TERMINAL_STATES)).order_by(Deal.help_requested_at)).all()


def staff_members() -> list[User]:
    return db.session.scalars(sa.select(User).where(
        User.role.in_(("staff", "admin")), User.active.is_(True))
        .order_by(User.display_name)).all()


def own_needs(user) -> list[Listing]:
    """The published needs of the user's organisation (to tie a deal to one)."""
    if user.organisation_id is None:
        return []
    return db.session.scalars(sa.select(Listing).where(
        Listing.organisation_id == user.organisation_id, Listing.kind == ListingKind.need,
        Listing.status == ListingStatus.published, Listing.hidden_at.is_(None))
        .order_by(Listing.id.desc())).all()


def open_needs() -> list[Listing]:
    return db.session.scalars(sa.select(Listing).where(
        Listing.kind == ListingKind.need, Listing.status == ListingStatus.published,
        Listing.hidden_at.is_(None)).order_by(Listing.id.desc()).limit(200)).all()


# ---- confidential listing sections --------------------------------------------------------

def nda_opens_listing(listing: Listing, user) -> bool:
    """A party of a deal whose NDA both sides confirmed sees the other side's listing's
    confidential section (the offering for the buyer, the need for the seller)."""
    org_id = getattr(user, "organisation_id", None)
    if org_id is None or listing.id is None or listing.organisation_id == org_id:
        return False
    return db.session.scalar(sa.select(sa.func.count(Deal.id)).where(
        Deal.nda_completed_at.is_not(None),
        sa.or_(Deal.offering_id == listing.id, Deal.need_id == listing.id),
        sa.or_(sa.and_(Deal.buyer_org_id == org_id,
                       Deal.seller_org_id == listing.organisation_id),
               sa.and_(Deal.seller_org_id == org_id,
                       Deal.buyer_org_id == listing.organisation_id)))) > 0


# ---- expiry -------------------------------------------------------------------------------

def expiry_days() -> int:
    return int(current_app.config["DEAL_EXPIRY_DAYS"])


def reminder_days() -> int:
    return int(current_app.config["DEAL_EXPIRY_REMINDER_DAYS"])


def expires_at(deal: Deal):
    return deal.last_activity_at + timedelta(days=expiry_days()) if deal.is_open else None


@jobs.periodic(3600)
@jobs.job(queue="default", timeout=600, retries=1)
def expire_stale_deals() -> dict:
    """Expire open deals idle for DEAL_EXPIRY_DAYS; remind both sides DEAL_EXPIRY_REMINDER_DAYS
    before. Idempotent: each deal is re-checked under its row lock and committed on its own."""
    now = utcnow()
    cutoff = now - timedelta(days=expiry_days())
    remind_cutoff = now - timedelta(days=max(expiry_days() - reminder_days(), 0))
    expired = reminded = 0
    stale = db.session.scalars(sa.select(Deal.id).where(
        Deal.state.in_(OPEN_STATES), Deal.last_activity_at < cutoff).order_by(Deal.id)).all()
    for deal_id in stale:
        deal = db.session.get(Deal, deal_id)
        try:
            deal.expire(SYSTEM, inactive_before=cutoff)
            db.session.commit()
            expired += 1
        except DomainError:
            db.session.rollback()
    due = db.session.scalars(sa.select(Deal.id).where(
        Deal.state.in_(OPEN_STATES), Deal.last_activity_at < remind_cutoff,
        Deal.last_activity_at >= cutoff,
        sa.or_(Deal.reminder_sent_at.is_(None),
               Deal.reminder_sent_at < Deal.last_activity_at)).order_by(Deal.id)).all()
    for deal_id in due:
        deal = db.session.get(Deal, deal_id)
        deal._lock()
        if deal.state not in OPEN_STATES or deal.last_activity_at >= remind_cutoff or (
                deal.reminder_sent_at and deal.reminder_sent_at >= deal.last_activity_at):
            db.session.rollback()
            continue
        deal.reminder_sent_at = now
        deal.record_event("expiry_reminder", SYSTEM, {
            "expires_at": (deal.last_activity_at + timedelta(days=expiry_days())).isoformat()},
            touch=False)
        db.session.commit()
        reminded += 1
    return {"expired": expired, "reminded": reminded}




# ---- shapes for the JSON API --------------------------------------------------------------

def _when(moment):
    return moment.isoformat() if moment is not None else None


def _org(org: Organisation) -> dict:
    return {"id": org.id, "name": org.name, "kind": org.kind.value, "verified": org.is_verified}


def deal_dict(deal: Deal, viewer) -> dict:
    """A deal as the API answers it (DESIGN.md: {id, state, deal_type, buyer, seller,
    current_version, ...}), with what `viewer` may do next."""
    return {
        "id": deal.id, "state": deal.state.value, "deal_type": deal.deal_type.value,
        "buyer": _org(deal.buyer), "seller": _org(deal.seller),
        "initiator": deal.initiator_side.value, "offering_id": deal.offering_id,
        "need_id": deal.need_id, "current_version": deal.current_version,
        "accepted_versions": {"buyer": deal.buyer_accepted_version,
                              "seller": deal.seller_accepted_version},
        "rejected_version": deal.rejected_version,
        "nda": {"required": deal.nda_required,
                "buyer_confirmed": deal.nda_confirmed_by(Side.buyer),
                "seller_confirmed": deal.nda_confirmed_by(Side.seller),
                "completed_at": _when(deal.nda_completed_at)},
        "end_reason": deal.end_reason, "end_note": deal.end_note,
        "assigned_staff_id": deal.assigned_staff_id,
        "help_requested_at": _when(deal.help_requested_at),
        "created_at": _when(deal.created_at), "last_activity_at": _when(deal.last_activity_at),
        "expires_at": _when(expires_at(deal)),
        "allowed_actions": sorted(deal.allowed_actions(viewer)),
    }


def terms_dict(terms) -> dict:
    return {"version": terms.version, "based_on_version": terms.based_on_version,
            "author_side": terms.author_side.value, "author_org_id": terms.author_org_id,
            "author_user_id": terms.author_user_id, "terms": terms.fields,
            "digest": terms.digest, "created_at": _when(terms.created_at)}


def event_dict(event) -> dict:
    """An event for the parties (the client IP stays in the record, not in the answer)."""
    return {"seq": event.seq, "kind": event.kind, "actor_user_id": event.actor_user_id,
            "organisation_id": event.organisation_id, "from_state": event.from_state,
            "to_state": event.to_state, "payload": event.payload,
            "payload_digest": event.payload_digest, "created_at": _when(event.created_at),
            "prev_hash": event.prev_hash, "hash": event.hash}
