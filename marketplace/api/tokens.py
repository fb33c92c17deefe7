"""Personal access tokens: shown once, stored only as a SHA-256 digest."""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..clock import utcnow
from ..db_types import AwareDateTime
from ..errors import DomainError, NotFound
from ..extensions import db

PREFIX = "tto_"
MAX_ACTIVE_TOKENS = 20
#: `last_used_at` is written at most this often per token, so reading the API rarely writes.
USE_RESOLUTION = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hint: Mapped[str] = mapped_column(sa.String(12))  # first characters, to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    user: Mapped[User] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for the user; returns the row and the secret, which is never stored."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise DomainError(_l("Give the token a name of at most 100 characters."),
                          {"name": [_l("This field is required.")]})
    active = db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    if active >= MAX_ACTIVE_TOKENS:
        raise DomainError(_l("You have too many active tokens. Revoke one first."))
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=digest(secret), hint=secret[:10])
    db.session.add(token)
    db.session.flush()
    return token, secret


def tokens_of(user: User) -> list[ApiToken]:
    return db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                              .order_by(ApiToken.id.desc())).all()


def revoke_token(user: User, token_id: int) -> None:
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.id == token_id,
                                                        ApiToken.user_id == user.id))
    if token is None:
        raise NotFound(_l("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()


def revoke_all(user: User) -> None:
    """Revoke every active token of the user (the account was signed out everywhere)."""
    db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == user.id,
                                                 ApiToken.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))


def active_token(secret: str) -> ApiToken | None:
    """The active token of an active user with this secret, or None."""
    if not secret or not secret.startswith(PREFIX):
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if token is None or not token.active or not token.user.active:
        return None
    return token


def record_use(token: ApiToken) -> None:
    """Note when the token was last used, committed at once (a GET commits nothing else), but
    at most once a USE_RESOLUTION; the guarded UPDATE keeps concurrent requests to one write."""
    now = utcnow()
    last = token.last_used_at
    if last is not None and last.replace(tzinfo=last.tzinfo or UTC) > now - USE_RESOLUTION:
        return
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.id == token.id, sa.or_(ApiToken.last_used_at.is_(None),
                                               ApiToken.last_used_at <= now - USE_RESOLUTION))
        .values(last_used_at=now).execution_options(synchronize_session=False))
    db.session.commit()
