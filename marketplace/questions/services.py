"""Asking, answering and moderating questions on listings, each telling the other side through
the notification centre in the same transaction. The caller commits (`actions.run_action`)."""

from functools import cache

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .. import audit
from ..accounts.models import User
from ..errors import NotFound, PermissionDenied
from ..extensions import db
from ..listings.models import Listing, get_listing_or_404
from ..notifications import notify
from . import notices  # noqa: F401  (registers the kinds this module sends)
from .models import MAX_QUESTION, Invalid, ListingQuestion, clean_text

GONE = _l("This question does not exist or is not visible to you.")


def listing_for_question(listing_id: int, user, kind: str | None = None) -> Listing:
    """The listing a question may be asked on: published and not hidden, else NotFound."""
    listing = get_listing_or_404(listing_id, user, kind)
    if not listing.is_public:
        raise NotFound(_l("This listing does not exist or does not take questions."))
    return listing


def can_ask(listing: Listing, user) -> bool:
    return bool(listing.is_public and getattr(user, "is_authenticated", False)
                and user.organisation_id is not None
                and user.organisation_id != listing.organisation_id)


def ask(listing: Listing, user: User, body: str | None) -> ListingQuestion:
    """A member of another organisation asks the listing's organisation; its active members
    are told."""
    if not listing.is_public:
        raise NotFound(_l("This listing does not exist or does not take questions."))
    if user.organisation_id is None:
        raise PermissionDenied(_l("Only members of an organisation can ask questions."))
    if user.organisation_id == listing.organisation_id:
        raise PermissionDenied(_l("You cannot ask your own organisation a question. Edit the "
                                  "listing instead."))
    body = clean_text(body, MAX_QUESTION, "body")
    question = ListingQuestion(listing_id=listing.id, asker_id=user.id,
                               asker_org_id=user.organisation_id, body=body)
    db.session.add(question)
    db.session.flush()
    for member in User.active_members(listing.organisation_id):
        notify(member, "question_asked", ("question", question.id))
    return question


def answer(question: ListingQuestion, user: User, text: str | None,
           private: bool = False) -> ListingQuestion:
    """A member of the listing's organisation answers; the asker and their organisation's
    active members are told."""
    question.give_answer(user, text, private)
    told = User.active_members(question.asker_org_id)
    asker = db.session.get(User, question.asker_id) if question.asker_id else None
    if asker is not None and asker.active and asker not in told:
        told.insert(0, asker)
    for member in told:
        notify(member, "question_answered", ("question", question.id))
    return question


def hide(question: ListingQuestion, actor: User, reason: str | None) -> None:
    """Staff hide a question, giving the reason the audit trail keeps."""
    if not (reason or "").strip():
        raise Invalid(_l("Give a reason for hiding the question."),
                      {"reason": [_l("This field is required.")]})
    question.hide(actor)
    audit.record(actor, "question_hidden", question, reason)


def unhide(question: ListingQuestion, actor: User) -> None:
    question.unhide(actor)
    audit.record(actor, "question_unhidden", question)


def get_question_or_404(question_id: int, user) -> ListingQuestion:
    """The question if `user` may see it and its listing, else NotFound."""
    question = db.session.get(ListingQuestion, question_id)
    if question is None or not question.is_visible_to(user) \
            or not question.listing.is_visible_to(user):
        raise NotFound(GONE)
    return question


def questions_for(listing: Listing, user) -> list[ListingQuestion]:
    """The listing's questions `user` may see, oldest first."""
    signed_in = getattr(user, "is_authenticated", False)
    org_id = user.organisation_id if signed_in else None
    if signed_in and user.is_staff:
        seen = "all"
    elif org_id is None:
        seen = "public"
    else:
        seen = "all unhidden" if org_id == listing.organisation_id else "public or own"
    return list(db.session.scalars(_questions_seen(seen),
                                   {"listing_id": listing.id, "org_id": org_id}))


@cache  # built once per kind of viewer: building it took longer than running it
def _questions_seen(seen: str):
    query = sa.select(ListingQuestion).where(
        ListingQuestion.listing_id == sa.bindparam("listing_id"))
    public = sa.and_(ListingQuestion.answered_at.is_not(None),
                     ListingQuestion.private.is_(False))
    if seen != "all":
        query = query.where(ListingQuestion.hidden_at.is_(None), {
            "public": public,
            "all unhidden": sa.true(),
            "public or own": sa.or_(public,
                                    ListingQuestion.asker_org_id == sa.bindparam("org_id")),
        }[seen])
    return query.order_by(ListingQuestion.created_at, ListingQuestion.id)


def hidden_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ListingQuestion)
                             .where(ListingQuestion.hidden_at.is_not(None))) or 0


def hidden_questions(limit: int = 100) -> list[ListingQuestion]:
    return list(db.session.scalars(sa.select(ListingQuestion)
                                   .where(ListingQuestion.hidden_at.is_not(None))
                                   .order_by(ListingQuestion.hidden_at.desc()).limit(limit)))
