"""Users and their organisations; verification rules live on the organisation."""

import functools
import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from stdnum.exceptions import ValidationError
from stdnum.kr import brn
from werkzeug.security import check_password_hash, generate_password_hash

from .. import append_only, audit, domain_events
from ..clock import utcnow
from ..db_types import AwareDateTime
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..labels import LabelledEnum, label_of


class OrgKind(LabelledEnum):
    firm = "firm", _l("Large or mid-size firm")
    startup = "startup", _l("Startup")
    investor = "investor", _l("Investor")
    agency = "agency", _l("Public or support agency")


class Role(LabelledEnum):
    member = "member", _l("Member")
    staff = "staff", _l("Staff")
    admin = "admin", _l("Administrator")


class Verification(LabelledEnum):
    pending = "pending", _l("Awaiting verification")
    verified = "verified", _l("Verified")
    rejected = "rejected", _l("Verification rejected")


BRN_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def brn_check_digit(first_nine: str) -> int:
    """The National Tax Service check digit (python-stdnum checks only the format)."""
    digits = [int(c) for c in first_nine]
    total = sum(d * w for d, w in zip(digits, BRN_WEIGHTS, strict=True)) + digits[8] * 5 // 10
    return (10 - total % 10) % 10


def normalise_brn(value: str) -> str:
    """A Korean business registration number as 10 digits, or a DomainError."""
    try:
        number = brn.validate(value)
    except ValidationError as exc:
        raise DomainError(_l("This is not a valid business registration number."),
                          {"business_registration_no": [_l("Check the 10 digits.")]}) from exc
    if brn_check_digit(number[:9]) != int(number[9]):
        raise DomainError(_l("This is not a valid business registration number."),
                          {"business_registration_no": [_l("The check digit does not match.")]})
    return number


#: The details contracts print, with their longest allowed length.
DETAIL_LIMITS = {"address_ko": 300, "address_en": 300, "representative_ko": 100,
                 "representative_en": 100, "business_type": 100, "business_item": 200}
HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(sa.Enum(OrgKind, native_enum=False, length=20))
    name_ko: Mapped[str | None] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    country: Mapped[str] = mapped_column(sa.String(2), default="KR")
    business_registration_no: Mapped[str | None] = mapped_column(sa.String(10), unique=True)
    # What contracts print about the organisation (filled into every draft and the NDA).
    address_ko: Mapped[str | None] = mapped_column(sa.String(300))
    address_en: Mapped[str | None] = mapped_column(sa.String(300))
    representative_ko: Mapped[str | None] = mapped_column(sa.String(100))
    representative_en: Mapped[str | None] = mapped_column(sa.String(100))
    business_type: Mapped[str | None] = mapped_column(sa.String(100))  # 업태
    business_item: Mapped[str | None] = mapped_column(sa.String(200))  # 종목
    verification: Mapped[Verification] = mapped_column(
        sa.Enum(Verification, native_enum=False, length=20), default=Verification.pending,
        index=True)
    verification_reason: Mapped[str | None] = mapped_column(sa.Text)
    verified_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    members: Mapped[list["User"]] = relationship(back_populates="organisation")
    reviews: Mapped[list["OrganisationReview"]] = relationship(
        order_by="OrganisationReview.id", cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint("name_ko IS NOT NULL OR name_en IS NOT NULL", name="has_name"),
    )

    @property
    def name(self) -> str:
        """The name in the viewer's language when there is one, else the other."""
        lang = str(get_locale() or "ko")
        first, second = (self.name_en, self.name_ko) if lang == "en" else (self.name_ko,
                                                                           self.name_en)
        return first or second or ""

    @property
    def is_verified(self) -> bool:
        return self.verification == Verification.verified

    kind_label = label_of("kind")
    verification_label = label_of("verification")

    @property
    def has_details(self) -> bool:
        return any(getattr(self, name) for name in DETAIL_LIMITS)

    def can_edit_details(self, user) -> bool:
        return bool(user and user.is_authenticated and user.organisation_id == self.id)

    def update_details(self, actor: "User", values: dict[str, str | None]) -> None:
        """A member sets the address, representative, business type and item; blank clears.

        English fields hold no Hangul: an English contract prints them as they are.
        """
        if not self.can_edit_details(actor):
            raise PermissionDenied(_l("Only members of the organisation can change its "
                                      "details."))
        clean, errors = {}, {}
        for name, limit in DETAIL_LIMITS.items():
            value = " ".join((values.get(name) or "").split()) or None
            if value and len(value) > limit:
                errors[name] = [_l("Use at most %(count)s characters.", count=limit)]
            elif value and name.endswith("_en") and HANGUL.search(value):
                errors[name] = [_l("Write this in English (Latin letters), not Korean.")]
            clean[name] = value
        if errors:
            raise DomainError(_l("Some organisation details need correcting."), errors)
        for name, value in clean.items():
            setattr(self, name, value)

    def verify(self, actor: "User") -> None:
        actor.require_staff()
        self.verification = Verification.verified
        self.verification_reason = None
        self.verified_at = utcnow()
        self.reviews.append(OrganisationReview(reviewer_id=actor.id,
                                               decision=Verification.verified))
        audit.record(actor, "organisation_verified", self)

    def reject(self, actor: "User", reason: str) -> None:
        actor.require_staff()
        if not (reason or "").strip():
            raise DomainError(_l("Give a reason for the rejection."),
                              {"reason": [_l("This field is required.")]})
        self.verification = Verification.rejected
        self.verification_reason = reason.strip()
        self.verified_at = None
        self.reviews.append(OrganisationReview(reviewer_id=actor.id,
                                               decision=Verification.rejected,
                                               reason=self.verification_reason))
        audit.record(actor, "organisation_rejected", self, self.verification_reason)


class OrganisationReview(db.Model):
    """One staff decision on an organisation's verification; rows are only ever added."""

    __tablename__ = "organisation_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    decision: Mapped[Verification] = mapped_column(
        sa.Enum(Verification, native_enum=False, length=20))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[Role] = mapped_column(sa.Enum(Role, native_enum=False, length=20),
                                       default=Role.member)
    preferred_language: Mapped[str] = mapped_column(sa.String(2), default="ko")
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")

    @staticmethod
    def normalise_email(email: str) -> str:
        return (email or "").strip().lower()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=_hash_method())

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password or "")

    @classmethod
    def authenticate(cls, email: str, password: str) -> "User | None":
        """The active user with this address and password, else None. An unknown address
        costs the same password check as a known one, so the time taken tells nothing."""
        user = cls.by_email(email)
        if user is None:
            check_password_hash(_dummy_password_hash(_hash_method()), password or "")
            return None
        return user if user.check_password(password) and user.active else None

    # The key of the signed-in session this object was loaded for (see UserSession).
    session_key = None  # type: str | None

    def get_id(self) -> str:
        """Flask-Login's id, kept in the session and remember cookies: the user and the
        session key, so that a cookie only works while its UserSession row lives."""
        return f"{self.id}:{self.session_key}"

    def start_session(self) -> None:
        """A new signed-in session (a sign-in); old expired ones of the user go."""
        key = secrets.token_urlsafe(32)
        db.session.execute(sa.delete(UserSession).where(
            UserSession.user_id == self.id, UserSession.created_at < UserSession.oldest_live()))
        db.session.add(UserSession(user_id=self.id, key_hash=UserSession.digest(key)))
        self.session_key = key

    def end_session(self) -> None:
        """Ends the session this object was loaded for (a sign-out)."""
        if self.session_key:
            db.session.execute(sa.delete(UserSession).where(
                UserSession.key_hash == UserSession.digest(self.session_key)))
        self.session_key = None

    def end_all_sessions(self) -> None:
        """Every session and remember cookie of the account stops working, and so does every
        API token (the API connects to the signal): after a takeover, a token the intruder made
        must not outlive the reset."""
        db.session.execute(sa.delete(UserSession).where(UserSession.user_id == self.id))
        domain_events.signed_out_everywhere.send(self)

    def end_all_sessions_by(self, actor: "User", why: str | None = None) -> None:
        """Staff end an account's sessions; an administrator's only another administrator."""
        actor.require_staff()
        if self.is_admin and not actor.is_admin:
            raise PermissionDenied(_l("Only an administrator can do this."))
        self.end_all_sessions()
        audit.record(actor, "sessions_ended", self, why)

    def change_role(self, actor: "User", role: str, why: str | None = None) -> None:
        """An administrator grants or revokes staff (or administrator); never their own
        administrator role, and a member always belongs to an organisation."""
        actor.require_admin()
        try:
            role = Role(role)
        except ValueError:
            raise DomainError(_l("Choose a role from the list."),
                              {"role": [_l("Choose a role from the list.")]}) from None
        if role == self.role:
            return
        if self.id == actor.id:
            raise PermissionDenied(_l("You cannot change your own role; ask another "
                                      "administrator."))
        if role == Role.member and self.organisation_id is None:
            raise DomainError(_l("This account has no organisation, so it cannot be a member. "
                                 "Deactivate it instead."))
        before, self.role = self.role, role
        audit.record(actor, "role_changed", self, why,
                     {"from": before.value, "to": role.value})

    def deactivate(self, actor: "User", why: str | None = None) -> None:
        """An administrator closes an account: it cannot sign in, and every session it has
        ends now (API tokens check that the account is active)."""
        actor.require_admin()
        if self.id == actor.id:
            raise PermissionDenied(_l("You cannot deactivate your own account."))
        if not self.active:
            return
        self.active = False
        self.end_all_sessions()
        audit.record(actor, "account_deactivated", self, why)

    def reactivate(self, actor: "User", why: str | None = None) -> None:
        actor.require_admin()
        if self.active:
            return
        self.active = True
        audit.record(actor, "account_reactivated", self, why)

    @classmethod
    def for_session_id(cls, session_id: str) -> "User | None":
        """The user of a live session, from Flask-Login's id; None once it has ended."""
        user_id, _, key = (session_id or "").partition(":")
        if not user_id.isdigit() or not key:
            return None
        user = db.session.scalar(sa.select(cls).join(UserSession).where(
            cls.id == int(user_id), UserSession.key_hash == UserSession.digest(key),
            UserSession.created_at >= UserSession.oldest_live()))
        if user is not None:
            user.session_key = key
        return user

    def password_fingerprint(self) -> str:
        """Changes whenever the password does, which makes reset tokens single-use."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.staff, Role.admin)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    def require_staff(self) -> None:
        if not self.is_staff:
            raise PermissionDenied(_l("Only staff can do this."))

    def require_admin(self) -> None:
        if not (self.is_admin and self.active):
            raise PermissionDenied(_l("Only an administrator can do this."))

    @classmethod
    def by_email(cls, email: str) -> "User | None":
        return db.session.scalar(sa.select(cls).where(cls.email == cls.normalise_email(email)))

    @classmethod
    def active_members(cls, org_id: int) -> list["User"]:
        """The organisation's active members, oldest account first: who hears of its news."""
        return list(db.session.scalars(sa.select(cls).where(
            cls.organisation_id == org_id, cls.active.is_(True)).order_by(cls.id)))


class UserSession(db.Model):
    """One signed-in browser. Its random key travels only in the signed session and remember
    cookies (folded into `User.get_id`); the row keeps a digest. Deleting the row ends that
    session, however often an old cookie is replayed."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    @staticmethod
    def digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def oldest_live() -> datetime:
        """Sessions older than the longest a remember cookie lasts are over."""
        duration = current_app.config["REMEMBER_COOKIE_DURATION"]
        if not isinstance(duration, timedelta):
            duration = timedelta(seconds=int(duration))
        return utcnow() - duration


def _hash_method() -> str:
    return current_app.config["PASSWORD_HASH_METHOD"]


@functools.cache
def _dummy_password_hash(method: str) -> str:
    """A hash of a random password, checked for unknown addresses to cost the same time."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


append_only.guard(OrganisationReview.__table__)

