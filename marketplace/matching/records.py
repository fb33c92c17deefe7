"""Matching's tables: stored embeddings, stored matches and investor profiles.

Embeddings are stored once per (listing version, model version): a listing that did not change is
never embedded again, and vectors of different models never mix. A match row holds the last score
of one need-offering pair with its structured explanation; the ranks say in whose top list the
pair currently is (the need's, the offering's, or both). A row leaves a top list on a recompute
but is kept while it carries something that must survive recomputes: a dismissal or the fact
that both sides were already notified.
"""

from datetime import datetime

import numpy as np
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation
from ..clock import utcnow
from ..db_types import AwareDateTime, listing_id_column
from ..extensions import db
from ..labels import LabelledEnum
from ..listings.models import Listing, Versioned
from ..listings.vocabulary import ListingKind


def vector_to_bytes(vector) -> bytes:
    return np.asarray(vector, dtype="<f4").reshape(-1).tobytes()


def vector_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4")


class _StoredVector:
    """Shared columns of a stored embedding: the model, the vector and the text features."""

    model_version: Mapped[str] = mapped_column(sa.String(80))
    dim: Mapped[int] = mapped_column(sa.SmallInteger)
    vector: Mapped[bytes] = mapped_column(sa.LargeBinary)  # little-endian float32, unit length
    features: Mapped[dict] = mapped_column(sa.JSON)  # tokens, concepts, expanded
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    @property
    def array(self) -> np.ndarray:
        return vector_from_bytes(self.vector)


class ListingEmbedding(_StoredVector, db.Model):
    __tablename__ = "listing_embeddings"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = listing_id_column(index=True)
    listing_version: Mapped[int]

    __table_args__ = (sa.UniqueConstraint("listing_id", "listing_version", "model_version",
                                          name="uq_listing_embeddings_version_model"),)


class InvestorStage(LabelledEnum):
    pre_seed = "pre_seed", _l("Pre-seed")
    seed = "seed", _l("Seed")
    series_a = "series_a", _l("Series A")
    series_b = "series_b", _l("Series B")
    growth = "growth", _l("Growth")


# The readiness a startup usually has at each stage: used when a profile names stages but no
# TRL range of its own.
STAGE_TRL = {
    InvestorStage.pre_seed: (1, 4),
    InvestorStage.seed: (3, 6),
    InvestorStage.series_a: (5, 8),
    InvestorStage.series_b: (7, 9),
    InvestorStage.growth: (8, 9),
}
REGION_LABELS = {
    "KR": _l("Korea"),
    "JP": _l("Japan"),
    "CN": _l("China"),
    "SEA": _l("Southeast Asia"),
    "US": _l("United States"),
    "EU": _l("Europe"),
    "OTHER": _l("Other regions"),
}
EU_COUNTRIES = frozenset((
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "GB", "CH", "NO"))
SEA_COUNTRIES = frozenset(("SG", "VN", "TH", "MY", "ID", "PH", "KH", "LA", "MM", "BN"))


def region_of(country: str | None) -> str | None:
    if not country:
        return None
    country = country.upper()
    if country in ("KR", "JP", "CN", "US"):
        return country
    if country in EU_COUNTRIES:
        return "EU"
    if country in SEA_COUNTRIES:
        return "SEA"
    return "OTHER"


class InvestorProfile(Versioned, db.Model):
    """What an investor looks for. `version` goes up on every real change, like a listing's."""

    __tablename__ = "investor_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), unique=True)
    version: Mapped[int] = mapped_column(default=1)
    thesis: Mapped[str | None] = mapped_column(sa.Text)  # free text, any language
    sectors: Mapped[list] = mapped_column(sa.JSON, default=list)
    keywords: Mapped[list] = mapped_column(sa.JSON, default=list)
    stages: Mapped[list] = mapped_column(sa.JSON, default=list)
    trl_min: Mapped[int | None] = mapped_column(sa.SmallInteger)
    trl_max: Mapped[int | None] = mapped_column(sa.SmallInteger)
    ticket_min: Mapped[int | None] = mapped_column(sa.BigInteger)  # minor units
    ticket_max: Mapped[int | None] = mapped_column(sa.BigInteger)
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    regions: Mapped[list] = mapped_column(sa.JSON, default=list)
    languages: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("trl_min IS NULL OR (trl_min BETWEEN 1 AND 9)", name="trl_min_range"),
        sa.CheckConstraint("trl_max IS NULL OR (trl_max BETWEEN 1 AND 9)", name="trl_max_range"),
        sa.CheckConstraint("trl_min IS NULL OR trl_max IS NULL OR trl_min <= trl_max",
                           name="trl_order"),
        sa.CheckConstraint("ticket_min IS NULL OR ticket_min >= 0", name="ticket_min_positive"),
        sa.CheckConstraint("ticket_max IS NULL OR ticket_min IS NULL OR ticket_max >= ticket_min",
                           name="ticket_order"),
        sa.CheckConstraint("(ticket_min IS NULL AND ticket_max IS NULL) OR currency IN "
                           "('KRW', 'USD')", name="ticket_currency"),
    )

    @property
    def trl_range(self) -> tuple[int | None, int | None]:
        """The profile's own TRL range, else the one its stages imply."""
        if self.trl_min is not None or self.trl_max is not None:
            return self.trl_min, self.trl_max
        ranges = [STAGE_TRL[InvestorStage(s)] for s in self.stages or []
                  if s in InvestorStage.__members__]
        if not ranges:
            return None, None
        return min(r[0] for r in ranges), max(r[1] for r in ranges)


class ProfileEmbedding(_StoredVector, db.Model):
    __tablename__ = "profile_embeddings"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investor_profiles.id", ondelete="CASCADE"), index=True)
    profile_version: Mapped[int]

    __table_args__ = (sa.UniqueConstraint("profile_id", "profile_version", "model_version",
                                          name="uq_profile_embeddings_version_model"),)


class _Scored:
    """Shared columns of a stored pair: the last score, why, by which model, and when both
    sides were told about it."""

    score: Mapped[float] = mapped_column(sa.Float)
    explanation: Mapped[dict] = mapped_column(sa.JSON)
    model_version: Mapped[str] = mapped_column(sa.String(80))
    computed_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    #: The columns that record a dismissal.
    dismissals: tuple[str, ...] = ()

    @property
    def is_sticky(self) -> bool:
        """Kept when it leaves every top list, so a recompute cannot undo what it records: a
        dismissal, or both sides already told."""
        return bool(self.notified_at or any(getattr(self, name) for name in self.dismissals))


class Match(_Scored, db.Model):
    """A need and an offering that fit, with the last computed score and why."""

    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = listing_id_column()
    offering_id: Mapped[int] = listing_id_column(index=True)
    need_rank: Mapped[int | None] = mapped_column(sa.SmallInteger)  # place in the need's list
    offering_rank: Mapped[int | None] = mapped_column(sa.SmallInteger)
    need_dismissed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    offering_dismissed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    dismissals = ("need_dismissed_at", "offering_dismissed_at")

    need: Mapped[Listing] = relationship(foreign_keys=[need_id])
    offering: Mapped[Listing] = relationship(foreign_keys=[offering_id])

    __table_args__ = (sa.UniqueConstraint("need_id", "offering_id",
                                          name="uq_matches_need_id_offering_id"),)

    @property
    def is_ranked(self) -> bool:
        return self.need_rank is not None or self.offering_rank is not None


class InvestorMatch(_Scored, db.Model):
    """An investor (by its profile) and a startup's offering that fit."""

    __tablename__ = "investor_matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    investor_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    offering_id: Mapped[int] = listing_id_column(index=True)
    startup_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int | None] = mapped_column(sa.SmallInteger)  # place in the investor's list
    dismissed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    dismissals = ("dismissed_at",)

    investor: Mapped[Organisation] = relationship(foreign_keys=[investor_org_id])
    offering: Mapped[Listing] = relationship(foreign_keys=[offering_id])
    startup: Mapped[Organisation] = relationship(foreign_keys=[startup_org_id])

    __table_args__ = (sa.UniqueConstraint("investor_org_id", "offering_id",
                                          name="uq_investor_matches_investor_offering"),)


def side_columns(kind: ListingKind):
    """(own id column, other id column, own rank attribute, other rank attribute)."""
    if kind == ListingKind.need:
        return Match.need_id, Match.offering_id, "need_rank", "offering_rank"
    return Match.offering_id, Match.need_id, "offering_rank", "need_rank"
