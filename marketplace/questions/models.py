"""A question a member of one organisation asks the owner of a published listing before a deal,
and the owner's answer.

Who sees a question: staff always; nobody else once staff hid it; the asking organisation and
the listing's organisation while it waits for an answer or when the answer is private; everyone
who may see the listing once it is answered in public.
"""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation, User
from ..clock import utcnow
from ..db_types import AwareDateTime
from ..errors import Conflict, DomainError, NotFound
from ..extensions import db
from ..listings.models import Listing

MAX_QUESTION = 1000
MAX_ANSWER = 3000


class Invalid(DomainError):
    """Text that is missing or too long."""

    status = 422
    code = "invalid"


def clean_text(text: str | None, limit: int, field: str) -> str:
    """The text stripped, or Invalid (422) when it is empty or longer than `limit`."""
    text = (text or "").strip()
    if not text:
        raise Invalid(_l("Write something first."), {field: [_l("This field is required.")]})
    if len(text) > limit:
        raise Invalid(_l("The text is too long."),
                      {field: [_l("Use at most %(n)d characters.", n=limit)]})
    return text


def _is_staff(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and user.is_staff)


def _org_id(user) -> int | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.organisation_id


class ListingQuestion(db.Model):
    __tablename__ = "listing_questions"
    #: Notices about a question name it so ("question", id).
    notification_type = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"),
                                            index=True)
    asker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id",
                                                               ondelete="SET NULL"))
    asker_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id",
                                                                     ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    private: Mapped[bool] = mapped_column(default=False)
    hidden_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), index=True)
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id",
                                                                   ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    listing: Mapped[Listing] = relationship()
    asker: Mapped[User | None] = relationship(foreign_keys=[asker_id])
    asker_org: Mapped[Organisation] = relationship(lazy="joined")
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])

    __table_args__ = (
        sa.CheckConstraint("(answer IS NULL) = (answered_at IS NULL)", name="answer_dated"),
    )

    # -- reading ------------------------------------------------------------------------------

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_public(self) -> bool:
        """Shown to everyone who may see the listing."""
        return self.is_answered and not self.private and not self.is_hidden

    def is_party(self, user) -> bool:
        """A member of the asking organisation or of the listing's."""
        org_id = _org_id(user)
        return org_id is not None and org_id in (self.asker_org_id, self.listing.organisation_id)

    def is_visible_to(self, user) -> bool:
        if _is_staff(user):
            return True
        if self.is_hidden:
            return False
        return self.is_public or self.is_party(user)

    def can_answer(self, user) -> bool:
        return (not self.is_answered and not self.is_hidden
                and _org_id(user) == self.listing.organisation_id)

    # -- transitions --------------------------------------------------------------------------

    def give_answer(self, actor: User, text: str | None, private: bool) -> None:
        """The listing's organisation answers, once. Someone else's listing is not found."""
        if _org_id(actor) != self.listing.organisation_id or self.is_hidden:
            raise NotFound(_l("This question does not exist or is not visible to you."))
        text = clean_text(text, MAX_ANSWER, "answer")
        now = utcnow()
        # Conditional, so that two members answering at once cannot both succeed.
        answered = db.session.execute(
            sa.update(ListingQuestion)
            .where(ListingQuestion.id == self.id, ListingQuestion.answered_at.is_(None))
            .values(answer=text, answered_by_id=actor.id, answered_at=now,
                    private=bool(private))
            .execution_options(synchronize_session=False)).rowcount
        if not answered:
            raise Conflict(_l("This question has already been answered."))
        db.session.refresh(self)

    def hide(self, actor: User) -> None:
        actor.require_staff()
        if self.is_hidden:
            raise Conflict(_l("This question is already hidden."))
        self.hidden_at = utcnow()
        self.hidden_by_id = actor.id

    def unhide(self, actor: User) -> None:
        actor.require_staff()
        if not self.is_hidden:
            raise Conflict(_l("This question is not hidden."))
        self.hidden_at = None
        self.hidden_by_id = None
