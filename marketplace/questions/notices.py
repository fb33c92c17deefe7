"""The two notices of questions on listings: one asked (to the listing's organisation) and one
answered (to the asker and their organisation). Each reads as one sentence in its reader's
language and leads to the questions on the listing's page."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..notifications import register_kind
from ..notifications.services import Rendered
from .models import ListingQuestion


def _question(notice) -> ListingQuestion | None:
    return db.session.get(ListingQuestion, notice.subject_id)


def _where(question: ListingQuestion) -> tuple[str, dict]:
    listing = question.listing
    return f"listings.{listing.kind}", {"listing_id": listing.id, "_anchor": "questions"}


@register_kind("question_asked", _l("Someone asks a question about your listing"))
def _asked(notice) -> Rendered | None:
    question = _question(notice)
    if question is None:
        return None
    endpoint, values = _where(question)
    return Rendered(gettext("%(org)s asked a question about your listing “%(title)s”.",
                            org=question.asker_org.name, title=question.listing.title),
                    endpoint, values, detail="" if question.is_hidden else question.body)


@register_kind("question_answered", _l("Your organisation's question about a listing is "
                                       "answered"))
def _answered(notice) -> Rendered | None:
    question = _question(notice)
    if question is None or not question.is_answered:
        return None
    endpoint, values = _where(question)
    listing = question.listing
    return Rendered(gettext("%(org)s answered the question your organisation asked about "
                            "“%(title)s”.", org=listing.organisation.name, title=listing.title),
                    endpoint, values, detail="" if question.is_hidden else question.answer)
