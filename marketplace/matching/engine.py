"""The matching engine: one score per need-offering pair, ranking in both directions.

Score = topic relevance (semantic cosine + Korean-aware BM25 + shared glossary concepts)
        - penalties for what a deal officer would rule out (TRL below the need's minimum,
          no deal type in common, price above the budget)
        + a small bonus for sector affinity (sector labels are the posters' own choice).

Vectors come from the model once per listing text and are passed in (the app stores them per
listing version). Ranking over many stored vectors is one matrix-vector product plus
``argpartition``; the finer hybrid scoring runs only on a shortlist of the nearest candidates.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from .embeddings import EmbeddingModel, blas_threads, default_threads, get_model
from .explanations import Explanation
from .glossary import Glossary, load_glossary
from .lexical import has_hangul
from .listing_data import Listing
from .listing_index import ListingFeatures, ListingIndex, listing_features, top_k_indices
from .scoring import DEFAULT_WEIGHTS, Weights, structured_adjustments
from .signals import budget_fit, deal_overlap, sector_affinity, trl_fit

METHODS = ("hybrid", "embedding", "tfidf")


@dataclass(slots=True)
class Match:
    """One ranked candidate: its id, score and why."""

    listing_id: str
    score: float
    explanation: Explanation
    listing: Listing | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        return {
            "listing_id": self.listing_id,
            "score": round(float(self.score), 6),
            "explanation": self.explanation.to_dict(),
        }


_HELPER: tuple[int, ThreadPoolExecutor] | None = None


def _helper() -> ThreadPoolExecutor:
    """One helper thread per process (see :meth:`MatchEngine._scan_while_tokenising`); a
    forked child makes its own, since threads do not survive a fork."""
    global _HELPER
    if _HELPER is None or _HELPER[0] != os.getpid():
        _HELPER = (os.getpid(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="matching"))
    return _HELPER[1]


class MatchEngine:
    """Scores and ranks needs against offerings and offerings against needs.

    ``method`` is "hybrid" (everything), "embedding" (the semantic model alone) or "tfidf" (a
    plain word TF-IDF baseline); the latter two exist to measure what the hybrid adds.
    """

    def __init__(
        self,
        model: EmbeddingModel | None = None,
        *,
        model_name: str | None = None,
        glossary: Glossary | None = None,
        weights: Weights = DEFAULT_WEIGHTS,
        method: str = "hybrid",
        candidate_pool: int = 200,
        concept_pool: int = 50,
        threads: int | None = None,
        rates: Mapping[str, float] | None = None,
        overlap: bool = True,
    ) -> None:
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, not {method!r}")
        self._model = model
        self._model_name = model_name
        self.glossary = glossary or load_glossary()
        self.weights = weights
        self.method = method
        self.candidate_pool = candidate_pool
        # the hybrid also re-ranks up to this many listings that name the query's concepts,
        # however far they are by cosine: the glossary is there for what the model misses
        self.concept_pool = concept_pool
        self.threads = threads or default_threads()  # BLAS threads for scanning the index
        # worth of one minor unit per currency in a common unit; prices in different
        # currencies are compared through it, or not at all without it
        self.rates = dict(rates or {})
        self.overlap = overlap  # tokenise a new query while scanning (see rank())

    # ----- model -------------------------------------------------------------------------
    @property
    def model(self) -> EmbeddingModel:
        if self._model is None:
            self._model = get_model(self._model_name)
        return self._model

    @property
    def model_version(self) -> str:
        """Stored with every match and embedding; vectors of different versions never mix."""
        return self.model.version

    def embed(self, listings: Sequence[Listing]) -> np.ndarray:
        """One normalised vector per listing (embed once per listing version and store it)."""
        return self.model.embed([listing.text for listing in listings])

    def features(self, listing: Listing) -> ListingFeatures:
        """Tokens and glossary concepts of a listing (compute once per version, like vectors)."""
        return listing_features(listing, self.glossary)

    def build_index(
        self,
        listings: Sequence[Listing],
        vectors: np.ndarray | None = None,
        features: Sequence[ListingFeatures] | None = None,
    ) -> ListingIndex:
        """Index candidates; pass stored ``vectors``/``features`` to skip recomputing them."""
        listings = list(listings)
        if vectors is None:
            if self.method == "tfidf":
                vectors = np.zeros((len(listings), 1), np.float32)
            else:
                vectors = self.embed(listings)
        if features is None:
            features = [self.features(listing) for listing in listings]
        return ListingIndex(listings, vectors, features, self.weights.broader_concept)

    # ----- scoring -----------------------------------------------------------------------
    def _shortlist_scores(
        self,
        query: Listing,
        q_features: ListingFeatures,
        cosines: np.ndarray,
        rows: np.ndarray,
        index: ListingIndex,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Scores for the shortlisted ``rows`` and the components that made them."""
        if self.method == "tfidf":
            return index.tfidf.similarity(query.text, rows), {}
        semantic = cosines[rows].astype(np.float64)
        if self.method == "embedding":
            return semantic, {"semantic": semantic}
        w = self.weights
        lexical = np.zeros(len(rows), dtype=np.float64)
        if w.lexical and q_features.tokens:
            bm25 = index.bm25.score(q_features.tokens, rows).astype(np.float64)
            lexical = np.clip(bm25 / max(index.bm25.self_score(q_features.tokens), 1e-9), 0, 1)
        concepts = index.concept_similarity(q_features, rows)
        components = {"semantic": semantic, "lexical": lexical, "concepts": concepts}
        components |= structured_adjustments(query, index.structured, index.deal_codes,
                                             index.currencies, rows, w, self.rates)
        scores = w.semantic * semantic + w.lexical * lexical + w.concepts * concepts
        for key in ("trl", "deal", "budget", "sector"):
            scores = scores + components[key]
        return scores, components

    def _explain(
        self,
        query: Listing,
        q_features: ListingFeatures,
        index: ListingIndex,
        row: int,
        components: dict[str, float],
    ) -> Explanation:
        candidate = index.listings[row]
        need, offering = (query, candidate) if query.kind == "need" else (candidate, query)
        tf = trl_fit(need, offering)
        return Explanation(
            shared_concepts=tuple(index.shared_concepts(q_features, row)[:6]),
            need_sector=need.sector,
            offering_sector=offering.sector,
            sector_affinity=sector_affinity(need.sector, offering.sector),
            trl_fit=tf.status,
            offering_trl=tf.offering_trl,
            min_trl=tf.min_trl,
            deal_types_shared=deal_overlap(need, offering),
            budget_fit=budget_fit(need, offering, self.rates).status,
            components={k: round(v, 4) for k, v in components.items() if v},
        )

    def rank(
        self,
        query: Listing,
        index: ListingIndex,
        top_k: int = 10,
        query_vector: np.ndarray | None = None,
        query_features: ListingFeatures | None = None,
        exclude: Iterable[str] = (),
    ) -> list[Match]:
        """Rank the index's listings for ``query`` (a need against offerings, or the reverse).

        Pass the query's stored ``query_vector`` (and ``query_features``) when you have them;
        otherwise they are computed here. ``exclude`` holds ids never to return.
        """
        if len(index) == 0 or top_k <= 0:
            return []
        cosines = None
        if self.method != "tfidf":
            if query_vector is None:
                query_vector = self.model.embed([query.text])[0]
            if (query_features is None and self.overlap and self.threads >= 2
                    and index.size >= 10_000):
                cosines, query_features = self._scan_while_tokenising(index, query_vector,
                                                                      query)
            else:
                cosines = self.cosines(index, query_vector)
        return self._rank_with_cosines(query, index, top_k, cosines, query_features, exclude)

    def _scan_while_tokenising(
        self, index: ListingIndex, query_vector: np.ndarray, query: Listing
    ) -> tuple[np.ndarray, ListingFeatures]:
        """Cosines with every stored vector, and the query's features, on two threads at once.

        The scan is bound by memory bandwidth, Kiwi holds the GIL and everything else here is
        short, so: a helper thread scans the first rows while this one tokenises the query and
        then scans the rest, one BLAS thread each (three threads on two cores made both slower).
        A Korean query takes longer to tokenise, so the helper then takes more of the rows.
        """
        q = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        out = np.empty(index.size, dtype=np.float32)
        split = int(index.size * (0.6 if has_hangul(query.text) else 0.52))
        started = threading.Event()

        def scan_head() -> None:
            started.set()  # from here the helper only needs the GIL to enter BLAS, not in it
            np.matmul(index.vectors[:split], q, out=out[:split])

        with blas_threads(1):
            pending = _helper().submit(scan_head)
            started.wait()
            features = self.features(query)
            np.matmul(index.vectors[split:], q, out=out[split:])  # (np.dot would copy)
            pending.result()
        out[index.dead] = -np.inf
        return out, features

    def cosines(self, index: ListingIndex, query_vector: np.ndarray) -> np.ndarray:
        """Cosine of the query with every stored vector (-inf for dead rows)."""
        q = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        with blas_threads(self.threads):
            out = index.vectors @ q
        out[index.dead] = -np.inf
        return out

    def score_ids(
        self,
        query: Listing,
        index: ListingIndex,
        ids: Iterable[str],
        query_vector: np.ndarray | None = None,
        query_features: ListingFeatures | None = None,
    ) -> list[Match]:
        """Score the named candidates only (ids not in the index are skipped), best first.

        The app uses it to refresh stored pairs that fell out of the query's own top list but
        still stand in the other side's, so their score follows the query's new version.
        """
        rows = np.array(sorted({index.positions[i] for i in ids if i in index.positions}),
                        dtype=np.int64)
        if len(rows) == 0:
            return []
        cosines = None
        if self.method != "tfidf":
            if query_vector is None:
                query_vector = self.model.embed([query.text])[0]
            cosines = np.zeros(index.size, dtype=np.float32)
            cosines[rows] = index.vectors[rows] @ np.asarray(query_vector, np.float32).reshape(-1)
        q_features = query_features or self.features(query)
        if cosines is None:
            cosines = np.zeros(index.size, dtype=np.float32)
        scores, components = self._shortlist_scores(query, q_features, cosines, rows, index)
        out = []
        for j in top_k_indices(scores, len(rows)):
            row = int(rows[j])
            parts = {k: float(v[j]) for k, v in components.items()}
            out.append(Match(index.listings[row].id, float(scores[j]),
                             self._explain(query, q_features, index, row, parts),
                             index.listings[row]))
        return out

    def rank_many(
        self,
        queries: Sequence[Listing],
        index: ListingIndex,
        top_k: int = 10,
        query_vectors: np.ndarray | None = None,
        batch_size: int = 64,
    ) -> list[list[Match]]:
        """Rank for many queries at once (a full recompute).

        Queries are embedded in one batch when no vectors are given, and cosines are computed a
        block of queries at a time (one matrix product streams the stored vectors once per block
        instead of once per query).
        """
        if len(index) == 0:
            return [[] for _ in queries]
        if self.method == "tfidf":
            return [self._rank_with_cosines(q, index, top_k, None) for q in queries]
        if query_vectors is None:
            query_vectors = self.embed(queries)
        query_vectors = np.asarray(query_vectors, dtype=np.float32)
        results: list[list[Match]] = []
        for start in range(0, len(queries), batch_size):
            with blas_threads(self.threads):
                block = index.vectors @ query_vectors[start : start + batch_size].T
            for j, query in enumerate(queries[start : start + batch_size]):
                cosines = np.ascontiguousarray(block[:, j])
                cosines[index.dead] = -np.inf
                results.append(self._rank_with_cosines(query, index, top_k, cosines))
        return results

    def _rank_with_cosines(
        self,
        query: Listing,
        index: ListingIndex,
        top_k: int,
        cosines: np.ndarray | None,
        query_features: ListingFeatures | None = None,
        exclude: Iterable[str] = (),
    ) -> list[Match]:
        if len(index) == 0 or top_k <= 0:
            return []
        if {index.listings[0].kind, query.kind} != {"need", "offering"}:
            raise ValueError("rank a need against offerings or an offering against needs")
        excluded = {index.positions[x] for x in exclude if x in index.positions}
        if cosines is None:  # tfidf: no vectors, score everything
            cosines = np.zeros(index.size, dtype=np.float32)
            candidates = np.flatnonzero(index.alive)
        else:
            if excluded:
                cosines = cosines.copy()
                cosines[list(excluded)] = -np.inf
            pool = top_k if self.method == "embedding" else max(self.candidate_pool, top_k)
            candidates = top_k_indices(cosines, min(pool + len(excluded), len(index)))
            candidates = candidates[index.alive[candidates]]
        if excluded:
            candidates = np.array([i for i in candidates if i not in excluded], dtype=np.int64)
        q_features = query_features or self.features(query)
        if self.method == "hybrid" and self.concept_pool:
            extra = index.concept_candidates(q_features, self.concept_pool)
            extra = extra[np.isfinite(cosines[extra])]  # excluded ones are -inf
            candidates = np.concatenate([candidates, np.setdiff1d(extra, candidates)])
        scores, components = self._shortlist_scores(query, q_features, cosines, candidates, index)
        matches = []
        for j in top_k_indices(scores, top_k):
            row = int(candidates[j])
            parts = {k: float(v[j]) for k, v in components.items()}
            matches.append(
                Match(
                    listing_id=index.listings[row].id,
                    score=float(scores[j]),
                    explanation=self._explain(query, q_features, index, row, parts),
                    listing=index.listings[row],
                )
            )
        return matches
