"""Listing search across Korean and English: matching's answer to `listings.search`'s
`semantic_asked` (listings sit below matching and cannot import it).

For a query it gives the glossary forms of the concepts the query names in the other language
(drone -> 드론, 배터리 -> battery), which search looks up in its keyword index, and the listings
whose stored embeddings are nearest the query's, above `SEARCH_SEMANTIC_FLOOR`. The query is
embedded once (a few milliseconds); the stored vectors of each kind are kept in memory per
process and brought up to date with one indexed query (the newest stored embedding's id) per
search. A listing not yet embedded is found by its keywords only, until matching stores its
vector (when it is published). Nothing is answered when the setting is off or the model is not
loaded in this process (the web process loads it at start): search is then keyword search.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

import numpy as np
import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..listings.models import Listing, ListingKind
from ..listings.search import SemanticAnswer, semantic_asked
from .embeddings import blas_threads, loaded_model
from .glossary import load_glossary
from .lexical import has_hangul
from .listing_data import Listing as EngineListing
from .listing_index import top_k_indices
from .records import ListingEmbedding
from .search_index import search_index
from .settings import get_engine

NEAREST = 200  # listings by meaning handed to the fusion, at most
FORMS_PER_CONCEPT = 2  # translations per concept: its label and its first other form
MAX_CONCEPTS = 3


@dataclass(frozen=True)
class _Vectors:
    """The stored vectors of one kind for one model, newest version of each listing."""

    model_version: str
    last_id: int  # the newest listing_embeddings row read
    ids: np.ndarray  # listing id per row
    versions: np.ndarray  # listing version per row
    matrix: np.ndarray  # (rows, dim) float32, unit rows


_lock = threading.Lock()


def _kept() -> dict:
    return current_app.extensions.setdefault("search_vectors", {})


def _newer(kind: str, version: str, after_id: int):
    return db.session.execute(
        sa.select(ListingEmbedding.id, ListingEmbedding.listing_id,
                  ListingEmbedding.listing_version, ListingEmbedding.vector)
        .join(Listing, Listing.id == ListingEmbedding.listing_id)
        .where(Listing.kind == kind, ListingEmbedding.model_version == version,
               ListingEmbedding.id > after_id)
        .order_by(ListingEmbedding.id)).all()


def vectors(kind: str, version: str, dim: int) -> _Vectors:
    """The kind's stored vectors, current with the database."""
    last = db.session.scalar(sa.select(sa.func.max(ListingEmbedding.id))) or 0
    kept = _kept().get(kind)
    if kept is not None and kept.model_version == version and kept.last_id >= last:
        return kept
    with _lock:
        kept = _kept().get(kind)
        if kept is None or kept.model_version != version or kept.last_id > last:
            # first use, another model, or a database restored to an earlier state
            kept = _Vectors(version, 0, np.zeros(0, np.int64), np.zeros(0, np.int64),
                            np.zeros((0, dim), np.float32))
        if kept.last_id >= last:
            return kept
        rows = _newer(kind, version, kept.last_id)
        if not rows:  # the new embeddings are of the other kind
            kept = _kept()[kind] = replace(kept, last_id=last)
            return kept
        ids, versions, matrix = kept.ids.copy(), kept.versions.copy(), kept.matrix
        positions = {int(listing_id): i for i, listing_id in enumerate(ids)}
        fresh: dict[int, tuple[int, bytes]] = {}
        for _row_id, listing_id, listing_version, blob in rows:
            if listing_version >= fresh.get(listing_id, (-1, b""))[0]:
                fresh[listing_id] = (listing_version, blob)
        replaced = {listing_id: item for listing_id, item in fresh.items()
                   if listing_id in positions}
        added = [(listing_id, item) for listing_id, item in fresh.items()
                 if listing_id not in positions]
        if replaced:
            matrix = matrix.copy()
            for listing_id, (listing_version, blob) in replaced.items():
                row = positions[listing_id]
                if listing_version >= versions[row]:
                    matrix[row] = np.frombuffer(blob, dtype="<f4")
                    versions[row] = listing_version
        if added:
            new = np.frombuffer(b"".join(blob for _, (_, blob) in added),
                                dtype="<f4").reshape(len(added), dim)
            matrix = np.vstack([matrix, new]) if len(matrix) else new.astype(np.float32)
            ids = np.concatenate([ids, np.array([i for i, _ in added], np.int64)])
            versions = np.concatenate([versions, np.array([v for _, (v, _) in added],
                                                          np.int64)])
        # everything up to `last` of this kind is read (the newest row may be another kind's)
        last_read = max([last, *(row[0] for row in rows)])
        kept = _kept()[kind] = _Vectors(version, last_read, ids, versions,
                                        np.ascontiguousarray(matrix, dtype=np.float32))
        return kept


def translations(query: str) -> list[str]:
    """The query in the other language when the glossary knows all its words: the forms of a
    single concept (drone -> 드론, 무인기), or, for a query naming several, their labels
    together (드론 배송 -> "drone drone delivery logistics"), which search requires all of."""
    glossary = load_glossary()
    concepts = sorted(glossary.find(query))[:MAX_CONCEPTS]
    forms = [f.lower() for cid in concepts for f in (*glossary.concepts[cid].en_forms,
                                                     *glossary.concepts[cid].ko_forms)]
    named = " ".join(forms)

    def covered(word: str) -> bool:  # 드론을 is covered by 드론
        return word in named or any(len(f) > 1 and f in word for f in forms)

    if not concepts or not all(covered(w) for w in query.lower().split()):
        # a word the concepts do not cover would be lost in translation (AI 검사 is not all
        # AI): the listings nearest in meaning stand in for it
        return []
    korean, latin = has_hangul(query), any("a" <= c.lower() <= "z" for c in query)
    langs = (["en"] if korean else []) + (["ko"] if latin or not korean else [])
    out: list[str] = []
    for lang in langs:
        forms = [glossary.concepts[cid].en_forms if lang == "en" else
                 glossary.concepts[cid].ko_forms for cid in concepts]
        if len(forms) == 1:
            out.extend(forms[0][:FORMS_PER_CONCEPT])
        elif forms:
            out.append(" ".join(f[0] for f in forms))
    return list(dict.fromkeys(out))


def _embed_query(model, query: str) -> np.ndarray:
    """The query's vector, computed on one thread where the model lets us choose."""
    try:
        return model.embed([query], threads=1)[0]
    except TypeError:  # a model without the option
        return model.embed([query])[0]


def ranked(kind: str, query: str, model) -> list[int]:
    """The public listings of `kind` as the matching engine ranks them for the query typed as
    a listing of the other kind with only a title (what `flask matching eval --title-only`
    ranks): its shortlist, when the best of them scores at least `SEARCH_RANK_FLOOR` (a query
    about nothing listed finds nothing)."""
    engine = get_engine()
    index = search_index(ListingKind(kind), engine)
    if not len(index):
        return []
    other = "need" if kind == "offering" else "offering"
    typed = EngineListing(id="query", kind=other, lang="ko" if has_hangul(query) else "en",
                          title=query)
    pool = engine.candidate_pool + engine.concept_pool
    matches = engine.rank(typed, index, top_k=pool, query_vector=_embed_query(model, typed.text))
    if not matches or matches[0].score < float(current_app.config["SEARCH_RANK_FLOOR"]):
        return []
    return [int(m.listing_id) for m in matches if m.score > 0]


def semantic_search(app) -> bool:
    """Whether this app searches by meaning (`SEARCH_SEMANTIC`; unset: yes, except in tests)."""
    enabled = app.config["SEARCH_SEMANTIC"]
    return enabled if enabled is not None else not app.testing


def answer(kind: str, query: str, rank: bool = False) -> SemanticAnswer | None:
    """Receiver of `semantic_asked`: translations and the nearest listings of `kind`, or with
    `rank`, the listings in the engine's order."""
    enabled = semantic_search(current_app)
    model = loaded_model(current_app.config["MATCHING_MODEL"]) if enabled else None
    if model is None or not query.strip():
        return None
    if rank:
        return SemanticAnswer([], [], ranked(kind, query, model))
    stored = vectors(kind, model.version, model.dim)
    nearest: list[int] = []
    if len(stored.ids):
        query_vector = _embed_query(model, query)
        with blas_threads(1):  # web workers search side by side; one core each
            similarity = stored.matrix @ query_vector
        top = top_k_indices(similarity, NEAREST)
        floor = float(current_app.config["SEARCH_SEMANTIC_FLOOR"])
        nearest = [int(stored.ids[i]) for i in top if similarity[i] >= floor]
    return SemanticAnswer(translations(query), nearest)


def _answer(kind, query: str = "", rank: bool = False, **_ignored):
    return answer(str(kind), query, rank)


def init_app(app) -> None:
    semantic_asked.connect(_answer, weak=False)
