"""The candidates of one kind as the engine searches them: their vectors, lexical and concept
features and structured fields in compact arrays, with the corpus statistics computed once.
Pure: no Flask, no database."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .embeddings import normalise_rows
from .glossary import Glossary, load_glossary
from .lexical import BM25, TfidfIndex, gather_rows, tokenize
from .listing_data import Listing
from .scoring import DEAL_TYPES, DEFAULT_WEIGHTS, StructuredFields


@dataclass(frozen=True, slots=True)
class ListingFeatures:
    """Lexical and concept features of one listing text, computed once and reusable."""

    tokens: tuple[str, ...]
    concepts: frozenset[str]  # concepts named in the text
    expanded: frozenset[str]  # plus their broader concepts


def listing_features(listing: Listing, glossary: Glossary | None = None) -> ListingFeatures:
    glossary = glossary or load_glossary()
    text = listing.text
    concepts = frozenset(glossary.find(text))
    return ListingFeatures(
        tokens=tuple(tokenize(text)),
        concepts=concepts,
        expanded=frozenset(glossary.expand(concepts)),
    )



def top_k_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores, best first, without sorting the whole array."""
    n = scores.shape[0]
    if k <= 0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k] if k < n else np.arange(n)
    return part[np.argsort(-scores[part], kind="stable")]



class ListingIndex:
    """The candidates of one kind (all offerings, or all needs) with their stored features.

    Built by :meth:`MatchEngine.build_index`. Corpus statistics (BM25 document frequencies,
    concept rarity) and compact arrays for every signal are computed here once, not per query.
    :meth:`changed` gives an updated copy without rebuilding what did not change: rows of
    removed or replaced listings stay in the arrays but are dead (never ranked, left out of the
    statistics), so a long-lived index is rebuilt now and then to drop them.
    """

    def __init__(
        self,
        listings: Sequence[Listing],
        vectors: np.ndarray,
        features: Sequence[ListingFeatures],
        broader_weight: float = DEFAULT_WEIGHTS.broader_concept,
    ) -> None:
        if len(listings) != len(vectors) or len(listings) != len(features):
            raise ValueError("listings, vectors and features must have the same length")
        self.listings = list(listings)
        # column-major: BLAS scans all rows against one query ~20% faster this way round
        self.vectors = (np.asfortranarray(normalise_rows(vectors)) if len(listings)
                        else np.zeros((0, 0), np.float32, order="F"))
        self.positions = {listing.id: i for i, listing in enumerate(self.listings)}
        self.alive = np.ones(len(self.listings), dtype=bool)
        self.dead = np.zeros(0, dtype=np.int64)
        self.bm25 = BM25(f.tokens for f in features)
        # tokens now live in the BM25 arrays; keep only the (small) concept sets per listing
        self.features = [ListingFeatures((), f.concepts, f.expanded) for f in features]
        self.broader_weight = broader_weight
        self.concept_ids: dict[str, int] = {}
        self._c_indptr, self._c_ids, self._c_named = self._encode_concepts(self.features, 0)
        self._weigh_concepts()
        # codes seen in this index (deal types as bits: the vocabulary is small and fixed)
        self.deal_codes: dict[str, int] = {t: i for i, t in enumerate(DEAL_TYPES)}
        self.currencies: dict[str, int] = {}
        self.structured = StructuredFields(self.listings, self.deal_codes, self.currencies)
        self._tfidf: TfidfIndex | None = None
        self._postings: tuple[np.ndarray, np.ndarray] | None = None

    def _encode_concepts(self, features: Sequence[ListingFeatures], offset: int):
        """CSR arrays of the listings' concepts (id, and whether named or only implied)."""
        indptr, ids, named = [offset], [], []
        for f in features:
            for c in sorted(f.expanded):
                ids.append(self.concept_ids.setdefault(c, len(self.concept_ids)))
                named.append(c in f.concepts)
            indptr.append(offset + len(ids))
        return (np.asarray(indptr, dtype=np.int64), np.asarray(ids, dtype=np.int32),
                np.asarray(named, dtype=bool))

    def _weigh_concepts(self) -> None:
        """Concept rarity over the live rows, and every row's concept weights and norm."""
        n = int(self.alive.sum())
        owner = np.repeat(np.arange(len(self.alive)), np.diff(self._c_indptr))
        df = np.bincount(self._c_ids[self.alive[owner]], minlength=len(self.concept_ids))
        self._c_idf = np.log((n + 1) / (df + 1.0)) + 1.0
        self._idf_unseen = math.log(n + 1) + 1.0
        self._c_weights = self._c_idf[self._c_ids] * np.where(self._c_named, 1.0,
                                                              self.broader_weight)
        self._c_norms = np.sqrt(np.bincount(owner, weights=self._c_weights**2,
                                            minlength=len(self.alive)))

    def changed(
        self,
        remove: Iterable[str] = (),
        listings: Sequence[Listing] = (),
        vectors: np.ndarray | None = None,
        features: Sequence[ListingFeatures] = (),
    ) -> ListingIndex:
        """A copy without the listings ``remove`` names, plus ``listings`` (an id already here is
        replaced). The original is left as it was, so a query running on it is unaffected."""
        listings = list(listings)
        if len(listings) != len(features) or (listings and (vectors is None
                                                           or len(vectors) != len(listings))):
            raise ValueError("listings, vectors and features must have the same length")
        out = copy.copy(self)
        out.positions = dict(self.positions)
        alive = self.alive.copy()
        for listing_id in {*remove, *(x.id for x in listings)}:
            row = out.positions.pop(listing_id, None)
            if row is not None:
                alive[row] = False
        start = len(self.listings)
        if listings:
            out.listings = self.listings + listings
            new = normalise_rows(vectors)  # type: ignore[arg-type]
            out.vectors = np.empty((start + len(new), new.shape[1]), np.float32, order="F")
            if start:
                out.vectors[:start] = self.vectors
            out.vectors[start:] = new
            out.positions.update((x.id, start + i) for i, x in enumerate(listings))
            alive = np.concatenate([alive, np.ones(len(listings), dtype=bool)])
            slim = [ListingFeatures((), f.concepts, f.expanded) for f in features]
            out.features = self.features + slim
            out.concept_ids = dict(self.concept_ids)
            indptr, ids, named = out._encode_concepts(slim, int(self._c_indptr[-1]))
            out._c_indptr = np.concatenate([self._c_indptr, indptr[1:]])
            out._c_ids = np.concatenate([self._c_ids, ids])
            out._c_named = np.concatenate([self._c_named, named])
            out.deal_codes, out.currencies = dict(self.deal_codes), dict(self.currencies)
            out.structured = self.structured.extended(
                StructuredFields(listings, out.deal_codes, out.currencies))
        out.alive = alive
        out.dead = np.flatnonzero(~alive)
        out.bm25 = self.bm25.changed(alive, [f.tokens for f in features])
        out._weigh_concepts()
        out._tfidf = None
        out._postings = None
        return out

    def __len__(self) -> int:
        """Live listings (the ones a query can be given)."""
        return len(self.positions)

    @property
    def size(self) -> int:
        """Rows in the arrays, dead ones included."""
        return len(self.listings)

    @property
    def dead_share(self) -> float:
        return len(self.dead) / self.size if self.size else 0.0

    def concept_candidates(
        self, query: ListingFeatures, limit: int, max_postings: int = 1_000
    ) -> np.ndarray:
        """Live rows naming a concept the query names, the ``limit`` closest by concepts.

        Concepts in more than ``max_postings`` listings are left out: they are too common to
        single anything out, and reading their rows would cost more than it finds.
        """
        if self._postings is None:  # rows by concept, built on first use
            owner = np.repeat(np.arange(self.size), np.diff(self._c_indptr))
            order = np.argsort(self._c_ids, kind="stable")
            order = order[self._c_named[order]]
            starts = np.searchsorted(self._c_ids[order], np.arange(len(self.concept_ids) + 1))
            self._postings = (starts, owner[order])
        starts, rows = self._postings
        parts = []
        for c in query.concepts:
            i = self.concept_ids.get(c)
            if i is not None and 0 < starts[i + 1] - starts[i] <= max_postings:
                parts.append(rows[starts[i] : starts[i + 1]])
        if not parts:
            return np.zeros(0, dtype=np.int64)
        found = np.unique(np.concatenate(parts))
        found = found[self.alive[found]]
        if len(found) > limit:
            found = found[top_k_indices(self.concept_similarity(query, found), limit)]
        return found

    def concept_idf(self, cid: str) -> float:
        i = self.concept_ids.get(cid)
        return self._idf_unseen if i is None else float(self._c_idf[i])

    def concept_weight(self, cid: str, f: ListingFeatures) -> float:
        """Rarity of the concept in this index; a broader (implied) concept counts less."""
        return self.concept_idf(cid) * (1.0 if cid in f.concepts else self.broader_weight)

    def concept_similarity(self, query: ListingFeatures, rows: np.ndarray) -> np.ndarray:
        """Cosine between the query's weighted concept set and each listing's, for ``rows``."""
        out = np.zeros(len(rows), dtype=np.float64)
        if not query.expanded or len(rows) == 0:
            return out
        q = np.zeros(len(self.concept_ids) + 1, dtype=np.float64)
        q_norm = 0.0
        for c in query.expanded:
            w = self.concept_weight(c, query)
            q_norm += w * w
            if c in self.concept_ids:
                q[self.concept_ids[c]] = w
        positions, owner = gather_rows(self._c_indptr, rows)
        contrib = q[self._c_ids[positions]] * self._c_weights[positions]
        dot = np.bincount(owner, weights=contrib, minlength=len(rows))
        denom = math.sqrt(q_norm) * self._c_norms[rows]
        np.divide(dot, denom, out=out, where=denom > 0)
        return out

    def shared_concepts(self, query: ListingFeatures, row: int) -> list[str]:
        """Concepts both listings mention, most specific first (named on both sides, rarest)."""
        d = self.features[row]
        shared = query.expanded & d.expanded
        return sorted(
            shared,
            key=lambda c: (-(c in query.concepts) - (c in d.concepts), -self.concept_idf(c), c),
        )

    @property
    def tfidf(self) -> TfidfIndex:
        if self._tfidf is None:
            self._tfidf = TfidfIndex(listing.text for listing in self.listings)
        return self._tfidf
