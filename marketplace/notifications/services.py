"""`notify()`, the kinds features register, and reading, marking and e-mailing notices.

A feature registers each of its kinds once (`register_kind`) with a renderer: a function that,
called in the reader's locale, turns a `Notification` into a `Rendered` title and link. The
centre never imports a feature; the features import the centre.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale, gettext

from .. import jobs
from ..accounts.models import User
from ..clock import utcnow
from ..extensions import db
from ..mail.services import reading_language, send_email
from .models import Delivery, Notification, NotificationPreference


@dataclass(frozen=True)
class Rendered:
    """A notice as its reader sees it: a whole sentence, and where it leads."""

    title: str
    endpoint: str
    values: dict = field(default_factory=dict)
    detail: str = ""  # an extra paragraph for the e-mail (a note, a reason)
    deal_id: int | None = None  # e-mails about a deal name it in the outbox


@dataclass(frozen=True)
class Kind:
    name: str
    label: object  # a lazy string: what the preferences page calls it
    render: Callable[[Notification], Rendered | None]
    default: Delivery


KINDS: dict[str, Kind] = {}


def register_kind(name: str, label, default: Delivery = Delivery.email):
    """Decorate the renderer of notices of kind `name`."""
    def register(render: Callable[[Notification], Rendered | None]):
        KINDS[name] = Kind(name, label, render, Delivery(default))
        return render
    return register


def about(model) -> Callable:
    """For a renderer of notices about a `model` row: it is called as `render(notice, row)`, and
    a notice whose row is gone is not shown (None)."""
    def wrap(render: Callable[[Notification, object], Rendered | None]):
        @wraps(render)
        def with_subject(notice: Notification) -> Rendered | None:
            row = db.session.get(model, notice.subject_id)
            return None if row is None else render(notice, row)
        return with_subject
    return wrap


def subject_of(subject) -> tuple[str, int]:
    """("deal", 7) for a Deal, or a (type, id) pair as given."""
    if isinstance(subject, tuple):
        return subject
    return getattr(subject, "notification_type", type(subject).__name__.lower()), subject.id


def delivery_for(user: User, kind: str) -> Delivery:
    chosen = db.session.get(NotificationPreference, (user.id, kind))
    if chosen is not None:
        return Delivery(chosen.delivery)
    spec = KINDS.get(kind)
    return spec.default if spec else Delivery.in_app


def notify(user: User, kind: str, subject, **data) -> Notification | None:
    """Tell `user` about `subject`, as their preference for `kind` says; in the caller's
    transaction (an e-mail at once is a job enqueued for after the commit)."""
    if kind not in KINDS:
        raise ValueError(f"unregistered notification kind {kind!r}")
    if not user.active:
        return None
    delivery = delivery_for(user, kind)
    if delivery is Delivery.off:
        return None
    subject_type, subject_id = subject_of(subject)
    notice = Notification(user_id=user.id, kind=kind, subject_type=subject_type,
                          subject_id=subject_id, data=data, delivery=delivery.value)
    db.session.add(notice)
    db.session.flush()
    if delivery is Delivery.email:
        jobs.enqueue(email_notification, notice.id)
    return notice


def notify_all(users: Iterable[User], kind: str, subject, **data) -> list[Notification]:
    return [n for n in (notify(u, kind, subject, **data) for u in users) if n is not None]


# ---- reading ------------------------------------------------------------------------------

def rendered(notice: Notification) -> Rendered | None:
    spec = KINDS.get(notice.kind)
    return spec.render(notice) if spec else None


def link(view: Rendered, lang: str, external: bool = False) -> str:
    """The notice's URL; in a worker without SERVER_NAME, its path (better than nothing)."""
    try:
        return url_for(view.endpoint, lang_code=lang, _external=external, **view.values)
    except RuntimeError:
        with current_app.test_request_context():
            return url_for(view.endpoint, lang_code=lang, **view.values)


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def notifications_for(user, limit: int = 100, unread_only: bool = False) -> list[Notification]:
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(db.session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def mark_read(user, ids: Iterable[int] | None = None, *, subject=None) -> int:
    """Mark the user's unread notices read: those in `ids`, those about `subject`, or all."""
    stmt = sa.update(Notification).where(Notification.user_id == user.id,
                                         Notification.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(list(ids)))
    if subject is not None:
        subject_type, subject_id = subject_of(subject)
        stmt = stmt.where(Notification.subject_type == subject_type,
                          Notification.subject_id == subject_id)
    return db.session.execute(stmt.values(read_at=utcnow())).rowcount or 0


def set_delivery(user: User, kind: str, delivery: Delivery) -> None:
    row = db.session.get(NotificationPreference, (user.id, kind))
    if row is None:
        db.session.add(NotificationPreference(user_id=user.id, kind=kind,
                                              delivery=delivery.value))
    else:
        row.delivery = delivery.value


# ---- e-mail -------------------------------------------------------------------------------

@jobs.job(queue="mail", timeout=120, retries=3)
def email_notification(notification_id: int) -> int:
    """E-mail one notice, in its reader's language, unless it was e-mailed. Idempotent."""
    notice = db.session.get(Notification, notification_id)
    if notice is None or notice.emailed_at is not None:
        return 0
    user = db.session.get(User, notice.user_id)
    notice.emailed_at = utcnow()
    if not user.active:
        return 0
    lang = reading_language(user)
    with force_locale(lang):
        view = rendered(notice)
        if view is None:
            return 0
        subject = gettext("[Tech Trade-On] %(title)s", title=view.title)
        body = gettext("Hello %(name)s,\n\n%(title)s\n%(detail)s\nOpen it: %(link)s\n",
                       name=user.display_name, title=view.title,
                       detail=f"\n{view.detail}\n" if view.detail else "",
                       link=link(view, lang, external=True) or "-")
    send_email(user.email, subject, body, deal_id=view.deal_id)
    return 1


@jobs.periodic(3600)
@jobs.job(queue="mail", timeout=600, retries=3)
def send_digests() -> int:
    """One e-mail per user with the digest notices not e-mailed yet, once a day at most
    (the job runs hourly; a user's digest waits until their oldest waiting notice is a day
    old, so a notice is e-mailed within a day of being made)."""
    from datetime import timedelta

    due = utcnow() - timedelta(days=1)
    waiting = sa.select(Notification.user_id).where(
        Notification.delivery == Delivery.digest.value, Notification.emailed_at.is_(None))
    user_ids = list(db.session.scalars(waiting.group_by(Notification.user_id).having(
        sa.func.min(Notification.created_at) <= due)))
    sent = 0
    for user_id in user_ids:
        sent += email_digest(user_id)
    return sent


def email_digest(user_id: int) -> int:
    user = db.session.get(User, user_id)
    notices = list(db.session.scalars(sa.select(Notification).where(
        Notification.user_id == user_id, Notification.delivery == Delivery.digest.value,
        Notification.emailed_at.is_(None)).order_by(Notification.id)))
    now = utcnow()
    for notice in notices:
        notice.emailed_at = now
    if not notices or not user.active:
        return 0
    lang = reading_language(user)
    with force_locale(lang):
        lines = []
        for notice in notices:
            view = rendered(notice)
            if view is not None:
                lines.append(f"- {view.title}\n  {link(view, lang, external=True) or '-'}")
        if not lines:
            return 0
        subject = gettext("[Tech Trade-On] Your daily digest: %(count)s notifications",
                          count=len(lines))
        body = gettext("Hello %(name)s,\n\nThis is what happened since your last digest:\n\n"
                       "%(items)s\n\nAll your notifications: %(link)s\n",
                       name=user.display_name, items="\n".join(lines),
                       link=link(Rendered("", "notifications.index"), lang, external=True)
                       or "-")
    send_email(user.email, subject, body)
    return 1
