"""Who hears about a deal event: an in-app notice in the same transaction as the event, and an
e-mail sent by a job once that transaction committed (the job gets the event's id).

Recipients are the other side's members and the deal's staff when a party acts; both sides (and
the staff) when staff or the platform act. The actor never notifies themselves. A request for
help also e-mails every staff member a link to the help queue (the deal itself stays closed to
staff until one of them claims it).
"""

from datetime import datetime

import sqlalchemy as sa
from flask import url_for
from flask_babel import force_locale, gettext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import jobs
from ..accounts.models import Role, User
from ..clock import utcnow
from ..db_types import AwareDateTime
from ..extensions import db
from ..mail.models import OutboxMessage
from ..mail.services import reading_language, send_email
from .events import DealEvent
from .models import Deal
from .states import EVENT_LABELS, SystemActor


class DealNotification(db.Model):
    """An in-app notice to one user about one deal event; e-mailed after commit."""

    __tablename__ = "deal_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id", ondelete="CASCADE"),
                                         index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("deal_events.id", ondelete="CASCADE"),
                                          index=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    emailed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    user: Mapped[User] = relationship()
    deal: Mapped[Deal] = relationship()
    event: Mapped[DealEvent] = relationship()

    __table_args__ = (sa.UniqueConstraint("user_id", "event_id",
                                          name="uq_deal_notifications_user_id_event_id"),)


def recipients(deal: Deal, actor) -> list[User]:
    side = None if isinstance(actor, SystemActor) else deal.side_of(actor)
    org_ids = [deal.org_id_of(deal.other(side))] if side else [deal.buyer_org_id,
                                                                deal.seller_org_id]
    users = db.session.scalars(sa.select(User).where(User.organisation_id.in_(org_ids),
                                                     User.active.is_(True))
                               .order_by(User.id)).all()
    if deal.assigned_staff_id is not None and all(u.id != deal.assigned_staff_id
                                                  for u in users):
        staff = db.session.get(User, deal.assigned_staff_id)
        if staff is not None and staff.active:
            users.append(staff)
    return [user for user in users if user.id != getattr(actor, "id", None)]


def for_event(deal: Deal, event: DealEvent, actor) -> None:
    users = recipients(deal, actor)
    for user in users:
        db.session.add(DealNotification(user_id=user.id, deal_id=deal.id, event_id=event.id))
    if users:
        db.session.flush()
        jobs.enqueue(email_event, event.id)
    if event.kind == "request_help":
        jobs.enqueue(email_help_request, event.id)


def _link(endpoint: str, lang: str, path: str, **values) -> str:
    """An absolute link for an e-mail; in a worker without SERVER_NAME, `path` (a path is
    better than nothing)."""
    try:
        return url_for(endpoint, lang_code=lang, _external=True, **values)
    except RuntimeError:
        return path


@jobs.job(queue="mail", timeout=120, retries=3)
def email_event(event_id: int) -> int:
    """E-mail every notice of one event not e-mailed yet. Idempotent."""
    notices = db.session.scalars(sa.select(DealNotification).where(
        DealNotification.event_id == event_id, DealNotification.emailed_at.is_(None))
        .order_by(DealNotification.id)).all()
    for notice in notices:
        user, deal, event = notice.user, notice.deal, notice.event
        if not user.active:
            notice.emailed_at = utcnow()
            continue
        lang = reading_language(user)
        with force_locale(lang):
            who = event.actor.display_name if event.actor else gettext("Tech Trade-On")
            if event.organisation is not None:
                who = f"{who} ({event.organisation.name})"
            what = str(EVENT_LABELS.get(event.kind, event.kind))
            subject = gettext("[Tech Trade-On] Deal #%(id)s: %(event)s", id=deal.id,
                              event=what)
            body = gettext(
                "Hello %(name)s,\n\n%(who)s: %(event)s\nDeal: %(title)s (#%(id)s)\n"
                "State: %(state)s\n\nOpen the deal: %(link)s\n", name=user.display_name,
                who=who, event=what, title=deal.title, id=deal.id,
                state=str(deal.state_label),
                link=_link("deals.detail", lang, f"/{lang}/deals/{deal.id}", deal_id=deal.id))
        send_email(user.email, subject, body, deal_id=deal.id)
        notice.emailed_at = utcnow()
    return len(notices)


@jobs.job(queue="mail", timeout=120, retries=3)
def email_help_request(event_id: int) -> int:
    """Tell every active staff member that a deal waits in the help queue. Run again (a retry,
    a job handed over twice), it writes only the e-mails this request has not had yet."""
    event = db.session.get(DealEvent, event_id)
    if event is None:
        return 0
    told = set(db.session.scalars(sa.select(OutboxMessage.recipient).where(
        OutboxMessage.deal_id == event.deal_id, OutboxMessage.created_at >= event.created_at,
        OutboxMessage.body.contains("/deals/staff/queue"))))
    staff = db.session.scalars(sa.select(User).where(
        User.role.in_((Role.staff, Role.admin)), User.active.is_(True),
        User.email.not_in(told)).order_by(User.id)).all()
    for user in staff:
        lang = reading_language(user)
        with force_locale(lang):
            subject = gettext("[Tech Trade-On] A deal asks for staff help (#%(id)s)",
                              id=event.deal_id)
            body = gettext(
                "Hello %(name)s,\n\nA party to deal #%(id)s asked for help from city staff.\n"
                "Their note: %(note)s\n\nClaim it in the help queue: %(link)s\n",
                name=user.display_name, id=event.deal_id,
                note=(event.payload or {}).get("note") or "—",
                link=_link("deals.staff_queue", lang, f"/{lang}/deals/staff/queue"))
        send_email(user.email, subject, body, deal_id=event.deal_id)
    return len(staff)


# ---- the notices page and badge ----------------------------------------------------------

def unread_count(user) -> int:
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return db.session.scalar(sa.select(sa.func.count(DealNotification.id)).where(
        DealNotification.user_id == user.id, DealNotification.read_at.is_(None))) or 0


def notifications_for(user, limit: int = 100) -> list[DealNotification]:
    return db.session.scalars(sa.select(DealNotification).where(
        DealNotification.user_id == user.id).order_by(DealNotification.id.desc())
        .limit(limit)).all()


def mark_read(user, deal_id: int | None = None) -> int:
    stmt = sa.update(DealNotification).where(DealNotification.user_id == user.id,
                                             DealNotification.read_at.is_(None))
    if deal_id is not None:
        stmt = stmt.where(DealNotification.deal_id == deal_id)
    return db.session.execute(stmt.values(read_at=utcnow())).rowcount
