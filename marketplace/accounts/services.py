"""Registration, account creation and password reset: work spanning users, organisations, mail."""

from blinker import Namespace
from flask import current_app, url_for
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..errors import DomainError
from ..extensions import db
from ..mail.services import MASK, secret_filler, send_email
from .models import Organisation, OrgKind, Role, User, normalise_brn

MIN_PASSWORD_LENGTH = 10

# Asked by `trades_with` (sender: the organisation; user=): a feature above this one that makes
# organisations partners answers True (deals: the two share a deal). The app connects them.
partners_asked = Namespace().signal("organisation-partners")


def create_account(*, email: str, password: str, display_name: str, org_kind: str | None,
                   org_name_ko: str | None = None, org_name_en: str | None = None,
                   country: str = "KR", business_registration_no: str | None = None,
                   role: str = Role.member, preferred_language: str = "ko") -> User:
    """A user with a new organisation (or none, for staff and admins without one). Flushes only."""
    email = User.normalise_email(email)
    if User.by_email(email):
        raise DomainError(_l("An account with this e-mail address already exists."),
                          {"email": [_l("This e-mail address is already registered.")]})
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise password_too_short()
    organisation = None
    if org_kind:
        organisation = _new_organisation(org_kind, org_name_ko, org_name_en, country,
                                         business_registration_no)
    elif Role(role) == Role.member:
        raise DomainError(_l("A member belongs to an organisation."),
                          {"org_kind": [_l("This field is required.")]})
    user = User(email=email, display_name=(display_name or "").strip() or email.split("@")[0],
                role=Role(role), preferred_language=preferred_language, organisation=organisation)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def password_too_short() -> DomainError:
    return DomainError(_l("The password is too short."), {"password": [
        _l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)]})


def _new_organisation(kind, name_ko, name_en, country, brn_value) -> Organisation:
    name_ko, name_en = (name_ko or "").strip() or None, (name_en or "").strip() or None
    if not (name_ko or name_en):
        raise DomainError(_l("Give the organisation's name in Korean or English."),
                          {"org_name_ko": [_l("Korean or English name required.")]})
    country = (country or "KR").upper()
    brn_value = (brn_value or "").strip() or None
    if brn_value:
        brn_value = normalise_brn(brn_value)
        if db.session.scalar(db.select(Organisation.id).where(
                Organisation.business_registration_no == brn_value)):
            raise DomainError(_l("An organisation with this registration number already exists."),
                              {"business_registration_no": [_l("Already registered.")]})
    elif country == "KR" and kind in (OrgKind.firm, OrgKind.startup):
        raise DomainError(_l("Korean firms and startups give their business registration number."),
                          {"business_registration_no": [_l("This field is required.")]})
    organisation = Organisation(kind=OrgKind(kind), name_ko=name_ko, name_en=name_en,
                                country=country, business_registration_no=brn_value)
    db.session.add(organisation)
    return organisation


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "fp": user.password_fingerprint()})


def user_for_reset_token(token: str, lock: bool = False) -> User | None:
    """The user the token was issued to, if it is unexpired and unused, else None. With `lock`
    (about to use it) the user's row stays locked until commit, so that of two requests using
    the same link at once, the second sees it used."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("uid"), with_for_update=lock, populate_existing=lock)
    if user is None or not user.active or user.password_fingerprint() != data.get("fp"):
        return None
    return user


RESET_SECRET = "password_reset"


def request_password_reset(email: str) -> None:
    """E-mail a reset link when the address is known; say nothing either way (no enumeration).

    The stored message masks the token: delivery makes one (`_write_reset_token`), so no
    outbox page or log line ever holds a live link."""
    user = User.by_email(email)
    if user is None or not user.active:
        return
    link = url_for("accounts.reset_password", token=MASK, lang_code=user.preferred_language,
                   _external=True)
    with force_locale(user.preferred_language):
        subject = gettext("Reset your Tech Trade-On password")
        body = gettext("Hello %(name)s,\n\nOpen this link within an hour to choose a new "
                       "password:\n%(link)s\n\nIf you did not ask for this, ignore this e-mail.",
                       name=user.display_name, link=link)
    send_email(user.email, subject, body, secret=RESET_SECRET)


@secret_filler(RESET_SECRET)
def _write_reset_token(message) -> str | None:
    user = User.by_email(message.recipient)
    if user is None or not user.active:
        return None
    return message.body.replace(f"/{MASK}", f"/{make_reset_token(user)}")


def reset_password(user: User, password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise password_too_short()
    user.set_password(password)
    user.end_all_sessions()


def trades_with(org: Organisation, user) -> bool:
    """Whether the user's organisation trades with `org` (its partners see the details contracts
    print about it: address, representative, business type and item)."""
    if not (user.is_authenticated and user.organisation_id) or user.organisation_id == org.id:
        return False
    return any(answer for _, answer in partners_asked.send(org, user=user))
