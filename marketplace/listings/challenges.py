"""Open-innovation challenges: a need run with a deadline and criteria, startups' proposals
(an offering, a pitch and an optional file), and the firm's decision on each, with a reason the
startup sees."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation, User
from ..clock import utcnow
from ..db_types import AwareDateTime, enum_column
from ..errors import Conflict, DomainError, NotFound, PermissionDenied
from ..extensions import db
from ..labels import LabelledEnum, label_of
from .attachments import ATTACHMENTS, new_attachment
from .models import Attachment, Listing
from .validation import FIELD_REQUIRED, MAX_TEXT, FieldErrors, clean_int, clean_text, parse_deadline
from .vocabulary import EDITABLE_STATUSES, ListingKind, kind_for_organisation


class Challenge(db.Model):
    """A need published as an open-innovation challenge: startups submit proposals until the
    deadline; the firm shortlists or declines each with a reason the startup sees."""

    __tablename__ = "challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"),
                                            unique=True)
    deadline: Mapped[datetime] = mapped_column(AwareDateTime(), index=True)
    criteria: Mapped[str] = mapped_column(sa.Text)
    winners: Mapped[int] = mapped_column(sa.SmallInteger, default=1)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    listing: Mapped[Listing] = relationship(back_populates="challenge")
    submissions: Mapped[list["Submission"]] = relationship(
        back_populates="challenge", order_by="Submission.id", cascade="all, delete-orphan")

    __table_args__ = (sa.CheckConstraint("winners BETWEEN 1 AND 20", name="winners_range"),)

    @property
    def is_open(self) -> bool:
        return self.listing.is_public and utcnow() < self.deadline

    def is_owner(self, user) -> bool:
        return self.listing.is_member(user)


class SubmissionStatus(LabelledEnum):
    submitted = "submitted", _l("Submitted")
    shortlisted = "shortlisted", _l("Shortlisted")
    declined = "declined", _l("Declined")


class DeclineReason(LabelledEnum):
    too_early_trl = "too_early_trl", _l("The technology is not mature enough yet (TRL)")
    unclear_benefit = "unclear_benefit", _l("The benefit for our need is unclear")
    no_fit = "no_fit", _l("It does not fit what we are looking for")
    other = "other", _l("Other reason")


class Submission(db.Model):
    __tablename__ = "challenge_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id", ondelete="CASCADE"),
                                              index=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id",
                                                                      ondelete="SET NULL"))
    offering_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="RESTRICT"))
    pitch: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[SubmissionStatus] = mapped_column(enum_column(SubmissionStatus),
                                                     default=SubmissionStatus.submitted)
    decline_reason: Mapped[DeclineReason | None] = mapped_column(enum_column(DeclineReason))
    decline_text: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id",
                                                                    ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    challenge: Mapped[Challenge] = relationship(back_populates="submissions")
    organisation: Mapped[Organisation] = relationship()
    offering: Mapped[Listing] = relationship(foreign_keys=[offering_id])
    attachment: Mapped[Attachment | None] = relationship(back_populates="submission",
                                                         cascade="all, delete-orphan")

    __table_args__ = (sa.UniqueConstraint("challenge_id", "offering_id",
                                          name="uq_challenge_submissions_offering"),)

    status_label = label_of("status")

    @property
    def decline_reason_label(self):
        return self.decline_reason.label if self.decline_reason else None

    def is_visible_to(self, user) -> bool:
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        return (user.organisation_id in (self.organisation_id, self.challenge.listing
                                         .organisation_id) or user.is_staff)

    def _require_challenge_owner(self, actor) -> None:
        if not self.challenge.is_owner(actor):
            raise PermissionDenied(_l("Only the organisation running the challenge can do "
                                      "this."))

    def shortlist(self, actor: User) -> None:
        self._require_challenge_owner(actor)
        if self.status == SubmissionStatus.shortlisted:
            return
        self.status = SubmissionStatus.shortlisted
        self.decline_reason = None
        self.decline_text = None
        self.decided_at = utcnow()
        self.decided_by_id = actor.id

    def decline(self, actor: User, reason: str, text: str | None = None) -> None:
        self._require_challenge_owner(actor)
        try:
            reason = DeclineReason(reason)
        except ValueError:
            raise DomainError(_l("Choose a reason for declining."),
                              {"reason": [_l("Not a valid choice.")]}) from None
        text = (text or "").strip() or None
        if reason == DeclineReason.other and not text:
            raise DomainError(_l("Explain the reason to the startup."),
                              {"text": [_l("This field is required for “Other reason”.")]})
        if text and len(text) > 2000:
            raise DomainError(_l("The explanation is too long."),
                              {"text": [_l("Use at most %(n)d characters.", n=2000)]})
        self.status = SubmissionStatus.declined
        self.decline_reason = reason
        self.decline_text = text
        self.decided_at = utcnow()
        self.decided_by_id = actor.id


MAX_WINNERS = 20
MIN_PITCH = 20


def open_challenge(listing: Listing, user: User, data: dict) -> Challenge:
    """Run a need as an open-innovation challenge (deadline, criteria, number of winners)."""
    if listing.kind != ListingKind.need or not listing.can_edit(user):
        raise PermissionDenied(_l("Only the firm that posted this need can run it as a "
                                  "challenge."))
    if listing.challenge is not None:
        raise DomainError(_l("This need is already a challenge."))
    if listing.status not in EDITABLE_STATUSES:
        raise Conflict(_l("A closed or archived listing cannot be edited."))
    errors = FieldErrors()
    deadline = parse_deadline(data.get("deadline"), "deadline", errors)
    if deadline is None and "deadline" not in errors:
        errors.add("deadline", FIELD_REQUIRED)
    elif deadline is not None and deadline <= utcnow():
        errors.add("deadline", _l("Choose a date in the future."))
    elif deadline is not None and listing.deadline and deadline > listing.deadline:
        errors.add("deadline", _l("The challenge must end by the need's response deadline."))
    criteria = clean_text(data.get("criteria"))
    if not criteria:
        errors.add("criteria", FIELD_REQUIRED)
    elif len(criteria) > MAX_TEXT:
        errors.add("criteria", _l("Use at most %(n)d characters.", n=MAX_TEXT))
    winners = clean_int(data.get("winners", 1), "winners", errors)
    if winners is not None and not 1 <= winners <= MAX_WINNERS:
        errors.add("winners", _l("Choose between 1 and %(n)d winners.", n=MAX_WINNERS))
    errors.raise_if_any()
    challenge = Challenge(listing=listing, deadline=deadline, criteria=criteria, winners=winners)
    db.session.add(challenge)
    db.session.flush()
    return challenge


def get_challenge_or_404(challenge_id: int, user) -> Challenge:
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None or not challenge.listing.is_visible_to(user):
        raise NotFound(_l("This challenge does not exist or is not visible to you."))
    return challenge


def submit_proposal(challenge: Challenge, user: User, data: dict,
                    attachment: tuple[str, bytes] | None = None) -> Submission:
    """A startup proposes one of its published offerings, with a pitch and an optional file."""
    org = user.organisation if user is not None else None
    if org is None or kind_for_organisation(org) != ListingKind.offering:
        raise PermissionDenied(_l("Only startups can submit proposals."))
    if not challenge.is_open:
        raise DomainError(_l("This challenge no longer accepts proposals."))
    errors = FieldErrors()
    pitch = clean_text(data.get("pitch"))
    if not pitch:
        errors.add("pitch", FIELD_REQUIRED)
    elif len(pitch) < MIN_PITCH:
        errors.add("pitch", _l("Write at least %(n)d characters.", n=MIN_PITCH))
    elif len(pitch) > MAX_TEXT:
        errors.add("pitch", _l("Use at most %(n)d characters.", n=MAX_TEXT))
    offering_id = clean_int(data.get("offering_id"), "offering_id", errors)
    offering = db.session.get(Listing, offering_id) if offering_id else None
    if offering_id is not None and "offering_id" not in errors and (
            offering is None or offering.organisation_id != org.id
            or offering.kind != ListingKind.offering or not offering.is_public):
        errors.add("offering_id", _l("Choose one of your published offerings."))
    elif offering_id is None and "offering_id" not in errors:
        errors.add("offering_id", FIELD_REQUIRED)
    if offering is not None and "offering_id" not in errors and db.session.scalar(
            sa.select(Submission.id).where(Submission.challenge_id == challenge.id,
                                           Submission.offering_id == offering.id)):
        errors.add("offering_id", _l("You have already proposed this offering."))
    if attachment is not None:
        try:
            ATTACHMENTS.check(*attachment)
        except DomainError as exc:
            errors.update({"file": exc.fields["file"]})
    errors.raise_if_any()
    submission = Submission(challenge=challenge, organisation_id=org.id,
                            submitted_by_id=user.id, offering=offering, pitch=pitch)
    db.session.add(submission)
    db.session.flush()
    if attachment is not None:
        new_attachment(user, *attachment, submission_id=submission.id)
        db.session.refresh(submission, ["attachment"])
    return submission


def get_submission_or_404(submission_id: int, user) -> Submission:
    submission = db.session.get(Submission, submission_id)
    if submission is None or not submission.is_visible_to(user):
        raise NotFound(_l("This proposal does not exist or is not visible to you."))
    return submission


def challenge_submissions(challenge: Challenge, user: User) -> list[Submission]:
    """All proposals, for the organisation running the challenge (and staff)."""
    if not (challenge.is_owner(user) or getattr(user, "is_staff", False)):
        raise NotFound(_l("This challenge does not exist or is not visible to you."))
    return list(challenge.submissions)


def organisation_submissions(org: Organisation) -> list[Submission]:
    return list(db.session.scalars(sa.select(Submission).where(
        Submission.organisation_id == org.id).order_by(Submission.id.desc())))
