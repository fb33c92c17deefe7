"""The notifications table and each user's choice of delivery per kind."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..db_types import AwareDateTime
from ..extensions import db
from ..labels import LabelledEnum


class Delivery(LabelledEnum):
    in_app = "in_app", _l("In the app only")
    email = "email", _l("In the app and by e-mail at once")
    digest = "digest", _l("In the app and in a daily e-mail digest")
    off = "off", _l("Not at all")


class Notification(db.Model):
    """One thing one user should know: a kind, the object it is about (`subject_type`,
    `subject_id`) and the facts its renderer needs (`data`)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    subject_type: Mapped[str] = mapped_column(sa.String(40))
    subject_id: Mapped[int] = mapped_column(sa.Integer)
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    emailed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    delivery: Mapped[str] = mapped_column(sa.String(10), default=Delivery.in_app.value)

    __table_args__ = (
        sa.Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
        sa.Index("ix_notifications_subject", "subject_type", "subject_id"),
    )


class NotificationPreference(db.Model):
    """A user's delivery for one kind; without a row the kind's default applies."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    delivery: Mapped[str] = mapped_column(sa.String(10))
