"""Asking for the other language, telling the owner, and telling the readers once it is there."""

import sqlalchemy as sa
from flask import has_app_context
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import jobs
from ..accounts.models import User
from ..clock import utcnow
from ..errors import Conflict, DomainError, NotFound, PermissionDenied
from ..extensions import db
from ..listings.models import Listing
from ..notifications import notify, register_kind
from ..notifications.services import Rendered
from .models import TranslationRequest

LANGUAGES = ("ko", "en")
NOT_AVAILABLE = _l("This listing is not available.")


def ask(user: User, listing: Listing | None, lang: str) -> tuple[TranslationRequest, bool]:
    """`user` asks for `listing` in `lang`: (the request, whether it is new). Asking again
    answers the first request; the owner's members are told of each new one."""
    if listing is None or not listing.is_public:
        raise NotFound(NOT_AVAILABLE)
    if lang not in LANGUAGES:
        raise DomainError(_l("Choose Korean or English."), {"lang": [_l("Not a valid choice.")]})
    if lang in listing.languages:
        raise Conflict(_l("This listing is already written in that language."))
    if listing.is_member(user):
        raise PermissionDenied(_l("Your organisation wrote this listing: add the other "
                                  "language on its edit page."))
    existing = _request_of(user, listing, lang)
    if existing is not None:
        return existing, False
    request = TranslationRequest(listing_id=listing.id, requester_id=user.id, lang=lang)
    try:
        with db.session.begin_nested():
            db.session.add(request)
    except IntegrityError:  # the same reader asked twice at once
        return _request_of(user, listing, lang), False
    for member in User.active_members(listing.organisation_id):
        notify(member, "translation_requested", listing, lang=lang)
    return request, True


def _request_of(user: User, listing: Listing, lang: str) -> TranslationRequest | None:
    return db.session.scalar(sa.select(TranslationRequest).where(
        TranslationRequest.listing_id == listing.id, TranslationRequest.requester_id == user.id,
        TranslationRequest.lang == lang))


def asked(user, listing: Listing, lang: str) -> TranslationRequest | None:
    """The viewer's request for this listing in `lang`, if they made one."""
    if not getattr(user, "is_authenticated", False):
        return None
    return _request_of(user, listing, lang)


def open_requests():
    """(listing, how many asked, since when, languages asked for) for every listing with
    requests not answered yet, the longest waiting first."""
    rows = db.session.execute(
        sa.select(TranslationRequest.listing_id, sa.func.count(TranslationRequest.id),
                  sa.func.min(TranslationRequest.created_at))
        .where(TranslationRequest.fulfilled_at.is_(None))
        .group_by(TranslationRequest.listing_id)
        .order_by(sa.func.min(TranslationRequest.created_at))).all()
    listings = {x.id: x for x in db.session.scalars(
        sa.select(Listing).where(Listing.id.in_([r[0] for r in rows])))}
    return [(listings[listing_id], count, since) for listing_id, count, since in rows]


def open_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(sa.distinct(
        TranslationRequest.listing_id))).where(TranslationRequest.fulfilled_at.is_(None))) or 0


# ---- answered: tell whoever asked --------------------------------------------------------

def fulfil_answered(listing: Listing, session: Session) -> None:
    """A listing changed in a flush: if someone waits for a language, look after the commit
    (receivers run inside the flush, so the notices are written by a job)."""
    if not has_app_context() or session is not db.session() or listing.id is None:
        return
    if len(listing.languages) == len(LANGUAGES):
        jobs.enqueue(tell_readers, listing.id)


@jobs.job(queue="default", timeout=120, retries=3)
def tell_readers(listing_id: int) -> int:
    """Mark the requests the listing now answers fulfilled and notify each reader once."""
    listing = db.session.get(Listing, listing_id)
    if listing is None:
        return 0
    waiting = list(db.session.scalars(sa.select(TranslationRequest).where(
        TranslationRequest.listing_id == listing_id, TranslationRequest.fulfilled_at.is_(None),
        TranslationRequest.lang.in_(listing.languages)).with_for_update()))
    for request in waiting:
        request.fulfilled_at = utcnow()
        notify(request.requester, "translation_added", listing, lang=request.lang)
    return len(waiting)


# ---- how the notices read -----------------------------------------------------------------

def _listing_link(listing: Listing) -> tuple[str, dict]:
    return f"listings.{listing.kind}", {"listing_id": listing.id}


@register_kind("translation_requested", _l("A reader asks for your listing in another language"))
def _requested(notice) -> Rendered | None:
    listing = db.session.get(Listing, notice.subject_id)
    if listing is None:
        return None
    if notice.data.get("lang") == "en":
        title = gettext("A reader asked for an English version of “%(title)s”. Add the English "
                        "text so that overseas investors can read it.", title=listing.title)
    else:
        title = gettext("A reader asked for a Korean version of “%(title)s”. Add the Korean "
                        "text so that Korean firms can read it.", title=listing.title)
    return Rendered(title, "listings.edit", {"listing_id": listing.id})


@register_kind("translation_added", _l("A listing you asked about is now in your language"))
def _added(notice) -> Rendered | None:
    listing = db.session.get(Listing, notice.subject_id)
    if listing is None:
        return None
    endpoint, values = _listing_link(listing)
    if notice.data.get("lang") == "en":
        title = gettext("“%(title)s” is now written in English, as you asked.",
                        title=listing.text("title", "en"))
    else:
        title = gettext("“%(title)s” is now written in Korean, as you asked.",
                        title=listing.text("title", "ko"))
    return Rendered(title, endpoint, values)
