"""Indexes the figures need (the tables belong to other features) and the version of the data
they read, which keeps cached figures exact."""

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Mapped, mapped_column

from ..accounts.models import Organisation, User
from ..agreements.models import Contract
from ..data_versions import DataVersion
from ..deals.models import Deal, DealEvent, DealTerms
from ..extensions import db
from ..listings.models import Listing
from ..matching.records import InvestorMatch, Match

POSTED_CONDITION = "status IN ('published', 'closed') AND hidden_at IS NULL"

# Listings by sector and month over a period read only this index.
posted_listings = sa.Index("ix_listings_posted", Listing.published_at, Listing.sector,
                           Listing.kind, Listing.status, postgresql_where=sa.text(POSTED_CONDITION),
                           sqlite_where=sa.text(POSTED_CONDITION))
# The funnel and the days per stage read the stage events only.
stage_events = sa.Index("ix_deal_events_stage", DealEvent.to_state, DealEvent.deal_id,
                        DealEvent.created_at)


# -- the figures' data version (`data_versions`) ----------------------------------------------


class FiguresVersion(db.Model):
    __tablename__ = "stats_figures_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    epoch: Mapped[str] = mapped_column(sa.String(32))
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


# What the figures read; of a user, only what `english_users` counts by.
READ_MODELS = (Listing, Deal, DealEvent, DealTerms, Contract, Match, InvestorMatch, Organisation,
               User)
USER_COLUMNS = ("preferred_language", "active", "role", "created_at")


def _caching() -> bool:
    """Whether figures are kept (`STATS_CACHE_SIZE`): without a cache nothing reads the
    version, and commits do not touch its row."""
    return has_app_context() and int(current_app.config.get("STATS_CACHE_SIZE") or 0) > 0


def _matters(obj) -> bool:
    if isinstance(obj, User):
        state = sa.inspect(obj)
        return (state.pending or state.deleted or
                any(state.attrs[name].history.has_changes() for name in USER_COLUMNS))
    return isinstance(obj, READ_MODELS)


figures_version = DataVersion(
    FiguresVersion.__table__, _matters,
    lambda cls: cls is not None and issubclass(cls, READ_MODELS), _caching)


def read_version(session) -> tuple[str, int] | None:
    """(epoch, value) as committed, or None before the first change (or the table)."""
    return figures_version.read(session)


def has_figure_changes(session) -> bool:
    """Whether the session holds changes to what the figures read that are not committed."""
    return figures_version.has_changes(session)
