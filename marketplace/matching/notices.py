"""Notices of new strong matches, through the notification centre: both sides are told once
(`notified_at` on the match row), and read them in their own language. Kinds: `match_found`
(about a need-offering match) and `investor_match_found` (about an investor match)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

from .. import jobs
from ..accounts.models import User
from ..clock import utcnow
from ..extensions import db
from ..notifications import notify, register_kind
from ..notifications.models import Notification
from ..notifications.services import Rendered, about, email_notification
from .explanation_text import explanation_text
from .records import InvestorMatch, Match

MATCH, INVESTOR_MATCH = "match_found", "investor_match_found"
KINDS = (MATCH, INVESTOR_MATCH)
SUBJECTS = {MATCH: "match", INVESTOR_MATCH: "investor_match"}


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
            kind = MATCH
        else:
            if row.dismissed_at or not row.offering.is_public:
                continue
            org_ids = [row.investor_org_id, row.startup_org_id]
            kind = INVESTOR_MATCH
        row.notified_at = utcnow()
        for org_id in org_ids:
            for user in User.active_members(org_id):
                notify(user, kind, (SUBJECTS[kind], row.id))
        count += 1
    return count


def _lang() -> str:
    return str(get_locale() or "ko")


def _reader_org_id(notice: Notification) -> int | None:
    user = db.session.get(User, notice.user_id)
    return user.organisation_id if user is not None else None


@register_kind(MATCH, _l("A strong match for one of your listings"))
@about(Match)
def _render_match(notice: Notification, match: Match) -> Rendered:
    lang = _lang()
    own_is_need = match.need.organisation_id == _reader_org_id(notice)
    own, other = (match.need, match.offering) if own_is_need else (match.offering, match.need)
    title = gettext("A strong match for %(own)s: %(other)s (score %(score)s)",
                    own=own.text("title", lang), other=other.text("title", lang),
                    score=f"{match.score:.2f}")
    return Rendered(title, f"listings.{own.kind}",
                    {"listing_id": own.id, "_anchor": "recommendations"},
                    detail=explanation_text(match.explanation, lang))


@register_kind(INVESTOR_MATCH, _l("A strong match between an investor and an offering"))
@about(InvestorMatch)
def _render_investor_match(notice: Notification, match: InvestorMatch) -> Rendered:
    lang = _lang()
    offering, score = match.offering.text("title", lang), f"{match.score:.2f}"
    if match.investor_org_id == _reader_org_id(notice):
        title = gettext("A strong match for your investor profile: %(offering)s "
                        "(score %(score)s)", offering=offering, score=score)
        endpoint, values = "matching.investor", {}
    else:
        title = gettext("An investor's profile is a strong match for your offering "
                        "%(offering)s (score %(score)s)", offering=offering, score=score)
        endpoint, values = "listings.offering", {"listing_id": match.offering_id}
    return Rendered(title, endpoint, values, detail=explanation_text(match.explanation, lang))


def notices_for(user, limit: int = 20) -> list[tuple[Notification, Rendered]]:
    """The user's latest match notices as they read them, for the matches page."""
    rows = db.session.scalars(sa.select(Notification).where(
        Notification.user_id == user.id, Notification.kind.in_(KINDS))
        .order_by(Notification.id.desc()).limit(limit))
    items = [(n, (_render_match if n.kind == MATCH else _render_investor_match)(n))
             for n in rows]
    return [(n, view) for n, view in items if view is not None]


@jobs.job(queue="mail", timeout=120, retries=3)
def email_match(field: str, match_id: int) -> int:
    """E-mail the notices of one match not e-mailed yet (the job strong matches enqueued before
    the notification centre; rows still waiting for it carry this name). Idempotent."""
    kind = MATCH if field == "match_id" else INVESTOR_MATCH
    notices = db.session.scalars(sa.select(Notification.id).where(
        Notification.kind == kind, Notification.subject_type == SUBJECTS[kind],
        Notification.subject_id == match_id, Notification.emailed_at.is_(None))
        .order_by(Notification.id)).all()
    return sum(email_notification(notice_id) for notice_id in notices)
