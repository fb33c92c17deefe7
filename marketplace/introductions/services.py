"""The rules of an introduction: who may ask, answer, arrange it and open a deal from it."""

from functools import partial

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..accounts.models import Organisation, OrgKind, User
from ..clock import utcnow
from ..deals.services import open_deal
from ..errors import Conflict, DomainError, NotFound, PermissionDenied, checked_text
from ..extensions import db
from ..listings.models import Listing
from ..notifications import notify, register_kind
from ..notifications.services import Rendered
from .models import OPEN_STATES, Introduction, IntroductionState

MAX_NOTE = 2000
MAX_TIMES = 500
NOT_FOUND = _l("This introduction does not exist.")


def _text(name: str, value: str | None, limit: int, required: bool = False) -> str | None:
    return checked_text(value, name, limit, missing=_l("Write a short note for the startup.")
                        if required else None, too_long=_l("Some fields are too long."))


def ask(actor: User, startup: Organisation | None, note: str,
        proposed_times: str | None = None) -> Introduction:
    """A verified investor asks a startup for a one-to-one introduction."""
    org = actor.organisation
    if org is None or org.kind != OrgKind.investor:
        raise PermissionDenied(_l("Only investors ask startups for introductions."))
    if not org.is_verified:
        raise PermissionDenied(_l("Your organisation must be verified by staff before it can "
                                  "ask for introductions."))
    if startup is None or startup.kind != OrgKind.startup:
        raise NotFound(_l("This startup does not exist."))
    intro = Introduction(investor_org_id=org.id, startup_org_id=startup.id,
                         requested_by_id=actor.id, note=_text("note", note, MAX_NOTE, True),
                         proposed_times=_text("proposed_times", proposed_times, MAX_TIMES))
    try:
        with db.session.begin_nested():
            db.session.add(intro)
    except IntegrityError:
        raise Conflict(_l("You have already asked this startup for an introduction.")) from None
    for member in User.active_members(startup.id):
        notify(member, "introduction_requested", intro)
    return intro


def for_party_or_404(intro_id: int, user) -> Introduction:
    """The introduction for a member of either side or staff; 404 for everybody else."""
    intro = db.session.get(Introduction, intro_id)
    if intro is None or not (intro.side_of(user) or getattr(user, "is_staff", False)):
        raise NotFound(NOT_FOUND)
    return intro


def _locked(intro: Introduction) -> Introduction:
    db.session.execute(sa.select(Introduction.id).where(Introduction.id == intro.id)
                       .with_for_update())
    db.session.refresh(intro)
    return intro


def _decide(intro: Introduction, actor: User, state: IntroductionState, answer: str | None,
            meeting: str | None = None) -> Introduction:
    intro = _locked(intro)
    allowed = (IntroductionState.requested, IntroductionState.accepted) \
        if state == IntroductionState.arranged else (IntroductionState.requested,)
    if intro.state not in allowed:
        raise Conflict(_l("This introduction was already answered."))
    intro.state = state.value
    intro.answer = _text("answer", answer, MAX_NOTE)
    if meeting is not None:
        intro.meeting = _text("meeting", meeting, MAX_TIMES)
    intro.decided_by_id, intro.decided_at = actor.id, utcnow()
    db.session.flush()
    return intro


def accept(intro: Introduction, actor: User, answer: str | None = None,
           meeting: str | None = None) -> Introduction:
    if intro.side_of(actor) != "startup":
        raise PermissionDenied(_l("Only the startup answers an introduction."))
    _decide(intro, actor, IntroductionState.accepted, answer, meeting)
    for member in User.active_members(intro.investor_org_id):
        notify(member, "introduction_accepted", intro)
    return intro


def decline(intro: Introduction, actor: User, answer: str | None = None) -> Introduction:
    if intro.side_of(actor) != "startup":
        raise PermissionDenied(_l("Only the startup answers an introduction."))
    _decide(intro, actor, IntroductionState.declined, answer)
    for member in User.active_members(intro.investor_org_id):
        notify(member, "introduction_declined", intro)
    return intro


def arrange(intro: Introduction, actor: User, meeting: str, answer: str | None = None
            ) -> Introduction:
    """Staff set up the meeting for both sides."""
    actor.require_staff()
    if not (meeting or "").strip():
        raise DomainError(_l("Say when and where they meet."),
                          {"meeting": [_l("This field is required.")]})
    _decide(intro, actor, IntroductionState.arranged, answer, meeting)
    for org_id in (intro.investor_org_id, intro.startup_org_id):
        for member in User.active_members(org_id):
            notify(member, "introduction_arranged", intro)
    return intro


def open_investment_deal(intro: Introduction, actor: User, offering_id: int | None,
                         message: str):
    """From an accepted (or arranged) introduction, the investor opens an investment deal on
    one of the startup's offerings; the startup is the seller."""
    if intro.side_of(actor) != "investor":
        raise PermissionDenied(_l("Only the investor opens a deal from an introduction."))
    if intro.state not in (IntroductionState.accepted, IntroductionState.arranged):
        raise Conflict(_l("The startup has not accepted this introduction."))
    offering = db.session.get(Listing, offering_id) if offering_id else None
    if offering is None or offering.organisation_id != intro.startup_org_id:
        raise DomainError(_l("Choose one of the startup's offerings."),
                          {"offering_id": [_l("Choose one of the startup's offerings.")]})
    deal = open_deal(actor, offering, deal_type="investment", message=message)
    intro.deal_id = deal.id
    return deal


def introductions_for(user) -> list[Introduction]:
    """The user's organisation's introductions (either side), newest first; staff: the open
    ones of everyone."""
    query = sa.select(Introduction)
    if getattr(user, "is_staff", False) and user.organisation_id is None:
        query = query.where(Introduction.state.in_([s.value for s in OPEN_STATES]))
    elif getattr(user, "is_staff", False):
        query = query.where(sa.or_(
            Introduction.state.in_([s.value for s in OPEN_STATES]),
            Introduction.investor_org_id == user.organisation_id,
            Introduction.startup_org_id == user.organisation_id))
    else:
        query = query.where(sa.or_(Introduction.investor_org_id == user.organisation_id,
                                   Introduction.startup_org_id == user.organisation_id))
    return list(db.session.scalars(query.order_by(Introduction.id.desc()).limit(200)))


def open_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Introduction.id)).where(
        Introduction.state == IntroductionState.requested.value)) or 0


# ---- how the notices read -----------------------------------------------------------------

def _intro(notice) -> Introduction | None:
    return db.session.get(Introduction, notice.subject_id)


#: Each notice about an introduction: its kind's label, and its sentence (which may name the
#: investor and the startup).
SENTENCES = {
    "introduction_requested": (
        _l("An investor asks for an introduction"),
        _l("%(investor)s asks to meet you for a one-to-one introduction.")),
    "introduction_accepted": (
        _l("A startup accepted your introduction"),
        _l("%(startup)s accepted your request for an introduction.")),
    "introduction_declined": (
        _l("A startup declined your introduction"),
        _l("%(startup)s declined your request for an introduction.")),
    "introduction_arranged": (
        _l("Staff arranged an introduction"),
        _l("City staff arranged the introduction of %(investor)s and %(startup)s.")),
}


def _render(notice, sentence) -> Rendered | None:
    intro = _intro(notice)
    if intro is None:
        return None
    text = str(sentence) % {"investor": intro.investor.name, "startup": intro.startup.name}
    return Rendered(text, "introductions.detail", {"intro_id": intro.id},
                    detail=intro.note if notice.kind == "introduction_requested" else
                    (intro.meeting or intro.answer or ""))


for _kind, (_label, _sentence) in SENTENCES.items():
    register_kind(_kind, _label)(partial(_render, sentence=_sentence))
