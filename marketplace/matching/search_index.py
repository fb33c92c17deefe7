"""The engine's index of the public listings of one kind as listing search ranks long queries
with it: built from the stored embeddings only (a listing not yet embedded is found by its
keywords until matching stores its vector), kept per process. Each search checks the newest
stored embedding (one look-up of a primary key): a published or edited listing is embedded by
matching, and is swapped in then. Listings that left (closed, hidden) are checked for with an
aggregate query at most every `FULL_CHECK_SECONDS`; until then they stay in the index, and search
drops them with its filters as it does every listing the index ranks.

Building it reads every stored vector and features (seconds at 100,000 listings), so the web
process builds it at start (`warmup`); a change in the public listings of the kind or a newly
stored embedding is then swapped in (:meth:`ListingIndex.changed`), only the changed listings
read. It is rebuilt when the model changed, when more than a fifth of the listings changed at
once, or when dead rows pass a quarter of it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace

import numpy as np
import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..listings.models import Listing, ListingKind
from .embedding_store import engine_listing, features_from_json
from .engine import MatchEngine
from .indexes import REBUILD_CHANGED_SHARE, REBUILD_DEAD_SHARE, public_where
from .listing_index import ListingIndex
from .records import ListingEmbedding

FULL_CHECK_SECONDS = 10.0
_CHUNK = 500

_lock = threading.Lock()


@dataclass(frozen=True)
class _Kept:
    model_version: str
    fingerprint: tuple
    included: dict[int, int]  # listing id -> the version whose vector the index holds
    waiting: dict[int, int]  # public listing id -> its version, not embedded when last read
    index: ListingIndex
    checked: float = 0.0  # time.monotonic() of the last full check


def _fingerprint(kind: ListingKind) -> tuple:
    """Changes when a listing of the kind is published, edited or removed, or an embedding is
    stored: how many public listings, the sum of their ids, the latest change among them, and
    the newest stored embedding."""
    row = db.session.execute(sa.select(sa.func.count(), sa.func.sum(Listing.id),
                                       sa.func.max(Listing.updated_at))
                             .where(*public_where(kind))).one()
    last = db.session.scalar(sa.select(sa.func.max(ListingEmbedding.id)))
    return (*row, last)


def _kept() -> dict:
    return current_app.extensions.setdefault("search_index", {})


def _read(ids: list[int], engine: MatchEngine):
    """The public listings among `ids` that have a stored vector of their current version:
    (engine listings, vectors, features, {id: version})."""
    listings, vectors, features, versions = [], [], [], {}
    for start in range(0, len(ids), _CHUNK):
        rows = db.session.execute(
            sa.select(Listing, ListingEmbedding.vector, ListingEmbedding.features)
            .join(ListingEmbedding, sa.and_(
                ListingEmbedding.listing_id == Listing.id,
                ListingEmbedding.listing_version == Listing.version,
                ListingEmbedding.model_version == engine.model_version))
            .where(Listing.id.in_(ids[start:start + _CHUNK])).order_by(Listing.id))
        for listing, blob, stored in rows:
            listings.append(engine_listing(listing))
            vectors.append(np.frombuffer(blob, dtype="<f4"))
            features.append(features_from_json(stored))
            versions[listing.id] = listing.version
    matrix = np.vstack(vectors) if vectors else np.zeros((0, engine.model.dim), np.float32)
    return listings, matrix, features, versions


def search_index(kind: ListingKind, engine: MatchEngine) -> ListingIndex:
    """The index of the public listings of `kind` that have a stored vector, current with the
    database."""
    kept = _kept().get(kind)
    if (kept is not None and kept.model_version == engine.model_version
            and time.monotonic() - kept.checked < FULL_CHECK_SECONDS
            and db.session.scalar(sa.select(sa.func.max(ListingEmbedding.id)))
            == kept.fingerprint[-1]):
        return kept.index
    fingerprint = _fingerprint(kind)
    if (kept is not None and kept.model_version == engine.model_version
            and kept.fingerprint == fingerprint):
        _kept()[kind] = replace(kept, checked=time.monotonic())
        return kept.index
    with _lock:
        kept = _kept().get(kind)
        if kept is not None and kept.model_version == engine.model_version:
            if kept.fingerprint == fingerprint:
                return kept.index
            index = _updated(kind, engine, kept, fingerprint)
            if index is not None:
                return index
        public = _versions(kind)
        listings, vectors, features, versions = _read(sorted(public), engine)
        index = engine.build_index(listings, vectors, features)
        waiting = {i: v for i, v in public.items() if i not in versions}
        _kept()[kind] = _Kept(engine.model_version, fingerprint, versions, waiting, index,
                              time.monotonic())
        return index


def _versions(kind: ListingKind) -> dict[int, int]:
    return dict(db.session.execute(sa.select(Listing.id, Listing.version)
                                   .where(*public_where(kind))).all())


def _updated(kind: ListingKind, engine: MatchEngine, kept: _Kept,
             fingerprint: tuple) -> ListingIndex | None:
    """The kept index with the changes since it was built swapped in (`fingerprint`: the
    database's now); None when too much changed for that to pay."""
    public = _versions(kind)
    changed = {i for i, version in public.items()
               if kept.included.get(i) != version and kept.waiting.get(i) != version}
    # listings waiting for their vector that matching has embedded since
    changed.update(i for i in db.session.scalars(
        sa.select(ListingEmbedding.listing_id).where(ListingEmbedding.id > (kept.fingerprint[-1]
                                                                             or 0)))
        if i in public and i not in kept.included)
    removed = [i for i in kept.included if i not in public]
    if len(changed) + len(removed) > REBUILD_CHANGED_SHARE * max(len(public), 1):
        return None
    listings, vectors, features, versions = _read(sorted(changed), engine)
    # an edited listing whose new version is not embedded yet leaves until it is
    gone = removed + [i for i in changed if i in kept.included and i not in versions]
    index = kept.index.changed(remove=[str(i) for i in gone], listings=listings,
                               vectors=vectors, features=features)
    if index.dead_share > REBUILD_DEAD_SHARE:
        return None
    included = {i: v for i, v in kept.included.items() if i in public and i not in gone}
    included.update(versions)
    waiting = {i: v for i, v in public.items() if i not in included}
    _kept()[kind] = _Kept(engine.model_version, fingerprint, included, waiting, index,
                          time.monotonic())
    return index
