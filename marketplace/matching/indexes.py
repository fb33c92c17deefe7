"""The candidate indexes a process keeps between match computations.

Building an index reads every public listing's stored vector and features, which takes seconds
at 100,000 listings, while a recompute job needs it for a single query. So each app keeps the
last index of each kind and checks it against the database with one query for the (id, version,
updated_at) of the public listings: unchanged, it is used as it is; otherwise only the new and
edited listings are read and swapped in (:meth:`ListingIndex.changed`). It is built from scratch
when the model changed, when more than a fifth of the listings changed at once, or when dead
rows of removed and replaced listings pass a quarter of it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..listings.models import Listing, ListingKind, ListingStatus
from .embedding_store import Stored, engine_listing, listing_embeddings
from .engine import MatchEngine
from .listing_index import ListingIndex
from .settings import get_engine, setting

REBUILD_CHANGED_SHARE = 0.2
REBUILD_DEAD_SHARE = 0.25

_lock = threading.Lock()


@dataclass(frozen=True)
class _Kept:
    model_version: str
    signature: dict[int, tuple[int, datetime]]
    index: ListingIndex


def public_where(kind: ListingKind):
    """The conditions for a listing of the kind that anyone may see."""
    return (Listing.kind == kind, Listing.status == ListingStatus.published,
            Listing.hidden_at.is_(None))


def public_listings(kind: ListingKind, ids: list[int] | None = None) -> list[Listing]:
    query = sa.select(Listing).where(*public_where(kind)).order_by(Listing.id)
    if ids is not None:
        query = query.where(Listing.id.in_(ids))
    return list(db.session.scalars(query))


def _signature(kind: ListingKind) -> dict[int, tuple[int, datetime]]:
    rows = db.session.execute(sa.select(Listing.id, Listing.version, Listing.updated_at)
                              .where(*public_where(kind)))
    return {listing_id: (version, updated) for listing_id, version, updated in rows}


def _kept() -> dict[ListingKind, _Kept]:
    return current_app.extensions.setdefault("matching_indexes", {})


def public_index(kind: ListingKind, engine: MatchEngine) -> ListingIndex:
    """The index of every public listing of ``kind``, current with the database."""
    signature = _signature(kind)
    with _lock:
        kept = _kept().get(kind)
        if kept is not None and kept.model_version == engine.model_version:
            if kept.signature == signature:
                return kept.index
            changed = sorted(i for i, sig in signature.items() if kept.signature.get(i) != sig)
            removed = [i for i in kept.signature if i not in signature]
            if len(changed) + len(removed) <= REBUILD_CHANGED_SHARE * max(len(signature), 1):
                listings, vectors, features = _stored(
                    public_listings(kind, changed) if changed else [], engine)
                index = kept.index.changed(remove=[str(i) for i in removed], listings=listings,
                                           vectors=vectors, features=features)
                if index.dead_share <= REBUILD_DEAD_SHARE:
                    return _keep(kind, engine, signature, index)
        index = engine.build_index(*_stored(public_listings(kind), engine))
        return _keep(kind, engine, signature, index)


def _stored(listings: list[Listing], engine: MatchEngine):
    """The listings as the engine sees them, with their stored vectors and features."""
    stored = listing_embeddings(listings)
    vectors = (np.vstack([stored[x.id].vector for x in listings]) if listings
               else np.zeros((0, engine.model.dim), np.float32))
    return ([engine_listing(x) for x in listings], vectors,
            [stored[x.id].features for x in listings])


def _keep(kind, engine, signature, index) -> ListingIndex:
    _kept()[kind] = _Kept(engine.model_version, signature, index)
    return index


class Context:
    """What one recompute run shares: the engine and, per kind, the index of public listings."""

    def __init__(self) -> None:
        self.engine = get_engine()
        self._indexes: dict[ListingKind, ListingIndex] = {}
        self._stored: dict[int, Stored] = {}
        self.notify_threshold = float(setting("MATCHING_NOTIFY_THRESHOLD"))
        self.top_k = int(setting("MATCHING_TOP_K"))

    def stored(self, listing: Listing) -> Stored:
        if listing.id not in self._stored:
            self._stored.update(listing_embeddings([listing]))
        return self._stored[listing.id]

    def index(self, kind: ListingKind) -> ListingIndex:
        """The process's index of public listings of ``kind``, checked once per run."""
        if kind not in self._indexes:
            self._indexes[kind] = public_index(kind, self.engine)
        return self._indexes[kind]
