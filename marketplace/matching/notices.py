"""Notices of new strong matches: both sides are told once, in the app and by e-mail (sent by
a job after the commit), and read them in their own language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for
from flask_babel import force_locale, gettext

from .. import jobs
from ..accounts.models import Organisation, User
from ..clock import utcnow
from ..extensions import db
from ..listings.models import Listing
from ..mail.services import reading_language, send_email
from .explanation_text import explanation_text
from .records import InvestorMatch, Match, MatchNotification


def _members(org_id: int) -> list[User]:
    return list(db.session.scalars(sa.select(User).where(
        User.organisation_id == org_id, User.active.is_(True)).order_by(User.id)))


def notify_new(rows: Sequence[Match | InvestorMatch], threshold: float) -> int:
    """Notify both sides of each strong match not notified before; never twice."""
    count = 0
    for row in rows:
        if row.notified_at is not None or row.score < threshold:
            continue
        if isinstance(row, Match):
            if row.need_dismissed_at or row.offering_dismissed_at:
                continue
            if not (row.need.is_public and row.offering.is_public):
                continue
            org_ids = [row.need.organisation_id, row.offering.organisation_id]
            field = "match_id"
        else:
            if row.dismissed_at or not row.offering.is_public:
                continue
            org_ids = [row.investor_org_id, row.startup_org_id]
            field = "investor_match_id"
        row.notified_at = utcnow()
        for org_id in org_ids:
            for user in _members(org_id):
                db.session.add(MatchNotification(user_id=user.id, **{field: row.id}))
        db.session.flush()
        jobs.enqueue(email_match, field, row.id)
        count += 1
    return count


def _link(endpoint: str, lang: str, **values) -> str:
    try:
        return url_for(endpoint, lang_code=lang, _external=True, **values)
    except RuntimeError:  # a worker without SERVER_NAME
        return ""


@dataclass
class Notice:
    """One notification as its reader sees it: their listing, the other side and why."""

    notification: MatchNotification
    own: Listing | Organisation
    other: Listing
    score: float
    explanation: dict
    url: str


def notice_view(notice: MatchNotification, lang: str, external: bool = False) -> Notice | None:
    user = notice.user
    if notice.match is not None:
        match = notice.match
        own_is_need = match.need.organisation_id == user.organisation_id
        own, other = (match.need, match.offering) if own_is_need else (match.offering,
                                                                       match.need)
        endpoint = f"listings.{own.kind}"
        values = {"listing_id": own.id, "_anchor": "recommendations"}
        score, explanation = match.score, match.explanation
    elif notice.investor_match is not None:
        match = notice.investor_match
        if match.investor_org_id == user.organisation_id:
            own, other = match.investor, match.offering
            endpoint, values = "matching.investor", {}
        else:
            own, other = match.offering, match.offering
            endpoint, values = "listings.offering", {"listing_id": match.offering_id}
        score, explanation = match.score, match.explanation
    else:
        return None
    url = (_link(endpoint, lang, **values) if external
           else url_for(endpoint, **values))
    return Notice(notice, own, other, score, explanation, url)


@jobs.job(queue="mail", timeout=120, retries=3)
def email_match(field: str, match_id: int) -> int:
    """E-mail every notice of one match not e-mailed yet. Idempotent."""
    column = getattr(MatchNotification, field)
    notices = list(db.session.scalars(sa.select(MatchNotification).where(
        column == match_id, MatchNotification.emailed_at.is_(None))
        .order_by(MatchNotification.id)))
    for notice in notices:
        user = notice.user
        lang = reading_language(user)
        if user.active:
            with force_locale(lang):
                view = notice_view(notice, lang, external=True)
                if view is not None:
                    title = view.other.text("title", lang)
                    subject = gettext("[Tech Trade-On] A strong match: %(title)s", title=title)
                    body = gettext(
                        "Hello %(name)s,\n\nThe matching found a strong fit (score %(score)s):\n"
                        "%(title)s\n%(why)s\n\nSee your recommendations: %(link)s\n",
                        name=user.display_name, score=f"{view.score:.2f}", title=title,
                        why=explanation_text(view.explanation, lang), link=view.url or "-")
                    send_email(user.email, subject, body)
        notice.emailed_at = utcnow()
    return len(notices)


def notifications_for(user, limit: int = 50) -> list[MatchNotification]:
    return list(db.session.scalars(sa.select(MatchNotification).where(
        MatchNotification.user_id == user.id).order_by(MatchNotification.id.desc())
        .limit(limit)))


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return db.session.scalar(sa.select(sa.func.count(MatchNotification.id)).where(
        MatchNotification.user_id == user.id, MatchNotification.read_at.is_(None))) or 0


def mark_read(user) -> int:
    result = db.session.execute(sa.update(MatchNotification).where(
        MatchNotification.user_id == user.id, MatchNotification.read_at.is_(None))
        .values(read_at=utcnow()))
    return result.rowcount or 0
