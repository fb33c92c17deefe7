"""Indexes the figures need (the tables belong to other features) and the version of the data
they read, which keeps cached figures exact."""

import uuid
import weakref

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..accounts.models import Organisation, User
from ..agreements.models import Contract
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


# -- the figures' data version ---------------------------------------------------------------
#
# One row, `value` raised in the very transaction that changes anything a figure reads (at its
# commit, after its last flush, so the row is locked only while committing and no lock is
# taken after it). A reader reads the version first and then the figures: any commit it does
# not see raises the version, so figures kept under a version are never older than it.
# `epoch` is drawn afresh whenever the row is created, so a recreated table never meets figures
# kept under an earlier one.

class FiguresVersion(db.Model):
    __tablename__ = "stats_figures_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    epoch: Mapped[str] = mapped_column(sa.String(32))
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


# What the figures read; of a user, only what `english_users` counts by.
READ_MODELS = (Listing, Deal, DealEvent, DealTerms, Contract, Match, InvestorMatch, Organisation,
               User)
USER_COLUMNS = ("preferred_language", "active", "role", "created_at")
_CHANGED = "stats_figures_changed"


_VERSIONED: "weakref.WeakSet" = weakref.WeakSet()  # engines whose schema has the version row


def _versioned(session) -> bool:
    """Whether the database has the version's table (not before its migration, as when a
    migration's test writes through the models at an earlier revision); once seen, remembered."""
    engine = session.get_bind()
    if engine not in _VERSIONED:
        if not sa.inspect(session.connection()).has_table(FiguresVersion.__tablename__):
            return False
        _VERSIONED.add(engine)
    return True


def _caching() -> bool:
    """Whether figures are kept (`STATS_CACHE_SIZE`): without a cache nothing reads the
    version, and commits do not touch its row."""
    return has_app_context() and int(current_app.config.get("STATS_CACHE_SIZE") or 0) > 0


def read_version(session) -> tuple[str, int] | None:
    """(epoch, value) as committed, or None before the first change (or the table)."""
    if not _versioned(session):
        return None
    row = session.execute(sa.select(FiguresVersion.epoch, FiguresVersion.value)
                          .where(FiguresVersion.id == 1)).first()
    return tuple(row) if row else None


def has_figure_changes(session) -> bool:
    """Whether the session holds changes to what the figures read that are not committed."""
    return bool(session.info.get(_CHANGED)) or any(
        _matters(obj) for obj in (*session.new, *session.dirty, *session.deleted))


def _matters(obj) -> bool:
    if isinstance(obj, User):
        state = sa.inspect(obj)
        return (state.pending or state.deleted or
                any(state.attrs[name].history.has_changes() for name in USER_COLUMNS))
    return isinstance(obj, READ_MODELS)


@sa.event.listens_for(Session, "after_flush")
def _note_flush(session, flush_context):
    if any(_matters(obj) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


@sa.event.listens_for(Session, "do_orm_execute")
def _note_statement(state):
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and issubclass(mapper.class_, READ_MODELS):
        state.session.info[_CHANGED] = True


@sa.event.listens_for(Session, "before_commit")
def _raise_version(session):
    if not _caching() or not has_figure_changes(session) or not _versioned(session):
        return
    session.flush()  # the last writes first: nothing is locked after the version row
    table = FiguresVersion.__table__
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect](table)
    session.execute(insert.values(id=1, epoch=uuid.uuid4().hex, value=0)
                    .on_conflict_do_nothing(index_elements=["id"]))
    session.execute(sa.update(table).where(table.c.id == 1).values(value=table.c.value + 1))


@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_rollback")
def _forget(session):
    session.info.pop(_CHANGED, None)
