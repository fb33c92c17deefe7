"""Builders shared by the saved-search and bookmark tests."""

import sqlalchemy as sa

from marketplace.api.tokens import create_token
from marketplace.extensions import db
from marketplace.mail.models import OutboxMessage
from marketplace.notifications.models import Notification
from tests.listings.helpers import make_listing


def draft(app, owner, **overrides) -> int:
    with app.test_request_context():
        return make_listing(owner, publish=False, **overrides)


def published(app, owner, **overrides) -> int:
    """A listing published in a request context: its jobs run when the context ends."""
    with app.test_request_context():
        return make_listing(owner, **overrides)


def token(app, user) -> dict:
    with app.test_request_context():
        secret = create_token(db.session.merge(user), "t")[1]
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def notices(app, user, kind="saved_search") -> list[Notification]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Notification).where(
            Notification.user_id == user.id, Notification.kind == kind)
            .order_by(Notification.id)))
        db.session.expunge_all()
        return rows


def mails(app, user) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.recipient == user.email).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows
