"""Who hears about a deal event, through the notification centre (kind `deal_event`, about the
deal, with the event's id): a notice in the same transaction as the event, e-mailed as each
reader chose (by default at once, by a job once that transaction committed).

Recipients are the other side's members and the deal's staff when a party acts; both sides (and
the staff) when staff or the platform act. The actor never notifies themselves. A request for
help also e-mails every staff member a link to the help queue (the deal itself stays closed to
staff until one of them claims it).
"""

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from .. import jobs
from ..accounts.models import Role, User
from ..extensions import db
from ..mail.models import OutboxMessage
from ..mail.services import email_in_language
from ..notifications import notify, register_kind
from ..notifications.models import Notification
from ..notifications.services import Rendered, email_notification
from .events import DealEvent
from .models import Deal
from .states import EVENT_LABELS, SystemActor

KIND = "deal_event"


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
    if event.kind == "open" and deal.is_proposal:
        return  # the firm hears of it once, as a proposal (`deals.proposals.on_open`)
    for user in recipients(deal, actor):
        notify(user, KIND, deal, event_id=event.id)
    if event.kind == "request_help":
        jobs.enqueue(email_help_request, event.id)


@register_kind(KIND, _l("Something happened in one of your deals"))
def _render(notice: Notification) -> Rendered | None:
    deal = db.session.get(Deal, notice.subject_id)
    event = db.session.get(DealEvent, (notice.data or {}).get("event_id") or 0)
    if deal is None or event is None:
        return None
    what = str(EVENT_LABELS.get(event.kind, event.kind))
    if event.actor is None:
        title = gettext("Deal #%(id)s (%(title)s): %(event)s", id=deal.id, title=deal.title,
                        event=what)
    else:
        who = event.actor.display_name
        if event.organisation is not None:
            who = f"{who} ({event.organisation.name})"
        title = gettext("Deal #%(id)s (%(title)s): %(event)s — %(who)s", id=deal.id,
                        title=deal.title, event=what, who=who)
    return Rendered(title, "deals.detail", {"deal_id": deal.id},
                    detail=gettext("The deal is now: %(state)s", state=str(deal.state_label)),
                    deal_id=deal.id)


@jobs.job(queue="mail", timeout=120, retries=3)
def email_event(event_id: int) -> int:
    """E-mail the notices of one event not e-mailed yet (the job deal events enqueued before the
    notification centre; rows still waiting for it carry this name). Idempotent."""
    event = db.session.get(DealEvent, event_id)
    if event is None:
        return 0
    notices = db.session.scalars(sa.select(Notification).where(
        Notification.kind == KIND, Notification.subject_type == "deal",
        Notification.subject_id == event.deal_id, Notification.emailed_at.is_(None))
        .order_by(Notification.id)).all()
    return sum(email_notification(n.id) for n in notices
               if (n.data or {}).get("event_id") == event_id)


def _link(endpoint: str, lang: str, path: str, **values) -> str:
    """An absolute link for an e-mail; in a worker without SERVER_NAME, `path` (a path is
    better than nothing)."""
    try:
        return url_for(endpoint, lang_code=lang, _external=True, **values)
    except RuntimeError:
        return path


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

    def help_asked(user: User, lang: str) -> tuple[str, str]:
        return (gettext("[Tech Trade-On] A deal asks for staff help (#%(id)s)", id=event.deal_id),
                gettext("Hello %(name)s,\n\nA party to deal #%(id)s asked for help from city "
                        "staff.\nTheir note: %(note)s\n\nClaim it in the help queue: "
                        "%(link)s\n",
                        name=user.display_name, id=event.deal_id,
                        note=(event.payload or {}).get("note") or "—",
                        link=_link("deals.staff_queue", lang, f"/{lang}/deals/staff/queue")))

    for user in staff:
        email_in_language(user, help_asked, deal_id=event.deal_id)
    return len(staff)
