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

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .documents import Listing
from .explanations import Explanation
from .glossary import Glossary, load_glossary
from .lexical import BM25, TfidfIndex, tokenize
from .models import EmbeddingModel, get_model, normalise_rows
from .signals import (
    budget_fit,
    budget_penalty,
    deal_overlap,
    sector_affinity,
    trl_fit,
    trl_penalty,
)

METHODS = ("hybrid", "embedding", "tfidf")


@dataclass(frozen=True, slots=True)
class Weights:
    """Few, interpretable weights, all on the scale of the semantic cosine (~0.2 to 0.7).

    The cosine carries most of the topic signal. Shared glossary concepts add what it misses on
    domain terms across languages. BM25 only breaks ties: it can reward only same-language pairs
    (a Korean need shares almost no tokens with an English offering), so a larger weight would
    favour listings written in the query's language, which relevance does not depend on.
    Penalties are sized against the gap between fitting and unrelated candidates (~0.1): one TRL
    level short or no deal type in common drops an offering below comparable fits that meet the
    constraint, but not below offerings for a different problem, which a deal officer would
    still rank lower.
    """

    semantic: float = 1.0
    lexical: float = 0.05
    concepts: float = 0.2
    trl: float = 0.04  # per penalty unit: 1 for one level short, +0.5 a level, at most 2
    deal: float = 0.03  # no deal type in common
    budget: float = 0.05  # at most this much, when the price is 4x or more above the budget
    sector: float = 0.03  # same sector; half for a related one
    broader_concept: float = 0.5  # weight of a broader concept relative to a named one


DEFAULT_WEIGHTS = Weights()


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
    concept rarity) are computed here once, not per query.
    """

    def __init__(
        self,
        listings: Sequence[Listing],
        vectors: np.ndarray,
        features: Sequence[ListingFeatures],
    ) -> None:
        if len(listings) != len(vectors) or len(listings) != len(features):
            raise ValueError("listings, vectors and features must have the same length")
        self.listings = list(listings)
        self.vectors = normalise_rows(vectors) if len(listings) else np.zeros((0, 0), np.float32)
        self.features = list(features)
        self.positions = {listing.id: i for i, listing in enumerate(self.listings)}
        self.bm25 = BM25(f.tokens for f in self.features)
        df: Counter[str] = Counter()
        for f in self.features:
            df.update(f.expanded)
        n = len(self.features)
        self._concept_df = df
        self._n = n
        self._tfidf: TfidfIndex | None = None

    def __len__(self) -> int:
        return len(self.listings)

    def concept_idf(self, cid: str) -> float:
        return math.log((self._n + 1) / (self._concept_df.get(cid, 0) + 1)) + 1.0

    @property
    def tfidf(self) -> TfidfIndex:
        if self._tfidf is None:
            self._tfidf = TfidfIndex(listing.text for listing in self.listings)
        return self._tfidf


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
        candidate_pool: int = 300,
    ) -> None:
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, not {method!r}")
        self._model = model
        self._model_name = model_name
        self.glossary = glossary or load_glossary()
        self.weights = weights
        self.method = method
        self.candidate_pool = candidate_pool

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
            vectors = self.embed(listings) if self.method != "tfidf" or not listings else None
            if vectors is None:
                vectors = np.zeros((len(listings), 1), np.float32)
        if features is None:
            features = [self.features(listing) for listing in listings]
        return ListingIndex(listings, vectors, features)

    # ----- scoring -----------------------------------------------------------------------
    def _concept_similarity(
        self, q: ListingFeatures, d: ListingFeatures, index: ListingIndex
    ) -> tuple[float, list[str]]:
        """Cosine of rarity-weighted concept sets (broader concepts count at reduced weight)."""
        if not q.expanded or not d.expanded:
            return 0.0, []
        bw = self.weights.broader_concept

        def weight(cid: str, f: ListingFeatures) -> float:
            return index.concept_idf(cid) * (1.0 if cid in f.concepts else bw)

        shared = q.expanded & d.expanded
        if not shared:
            return 0.0, []
        dot = sum(weight(c, q) * weight(c, d) for c in shared)
        nq = math.sqrt(sum(weight(c, q) ** 2 for c in q.expanded))
        nd = math.sqrt(sum(weight(c, d) ** 2 for c in d.expanded))
        # name the most specific shared concepts first: named on both sides, then rarest
        ordered = sorted(
            shared,
            key=lambda c: (-(c in q.concepts) - (c in d.concepts), -index.concept_idf(c), c),
        )
        return dot / (nq * nd), ordered

    def _pair_signals(
        self, query: Listing, candidate: Listing
    ) -> tuple[Listing, Listing, dict[str, float], dict]:
        need, offering = (query, candidate) if query.kind == "need" else (candidate, query)
        w = self.weights
        tf = trl_fit(need, offering)
        deals = deal_overlap(need, offering)
        bf = budget_fit(need, offering)
        affinity = sector_affinity(need.sector, offering.sector)
        adjustments = {
            "trl": -w.trl * trl_penalty(tf),
            "deal": -w.deal if deals is not None and not deals else 0.0,
            "budget": -w.budget * budget_penalty(bf),
            "sector": w.sector * affinity,
        }
        facts = {
            "need_sector": need.sector,
            "offering_sector": offering.sector,
            "sector_affinity": affinity,
            "trl_fit": tf.status,
            "offering_trl": tf.offering_trl,
            "min_trl": tf.min_trl,
            "deal_types_shared": deals,
            "budget_fit": bf.status,
        }
        return need, offering, adjustments, facts

    def _score_candidates(
        self,
        query: Listing,
        q_features: ListingFeatures,
        cosines: np.ndarray,
        candidates: np.ndarray,
        index: ListingIndex,
    ) -> tuple[np.ndarray, list[Explanation]]:
        w = self.weights
        if self.method == "hybrid" and w.lexical:
            bm25 = index.bm25.score(q_features.tokens, candidates)
            lexical = np.clip(bm25 / max(index.bm25.self_score(q_features.tokens), 1e-9), 0, 1)
        else:
            lexical = np.zeros(len(candidates), dtype=np.float32)
        if self.method == "tfidf":
            base = index.tfidf.similarity(query.text, candidates)
        else:
            base = cosines[candidates].astype(np.float64)
        scores = np.empty(len(candidates), dtype=np.float64)
        explanations = []
        for row, i in enumerate(candidates):
            candidate = index.listings[i]
            concept_sim, shared = self._concept_similarity(q_features, index.features[i], index)
            _, _, adjustments, facts = self._pair_signals(query, candidate)
            components = {"semantic": round(float(cosines[i]), 4)} if self.method != "tfidf" else {}
            if self.method == "hybrid":
                topic = w.semantic * base[row] + w.lexical * lexical[row] + w.concepts * concept_sim
                scores[row] = topic + sum(adjustments.values())
                components |= {
                    "lexical": round(float(lexical[row]), 4),
                    "concepts": round(concept_sim, 4),
                } | {k: round(v, 4) for k, v in adjustments.items() if v}
            else:
                scores[row] = base[row]
            explanations.append(
                Explanation(shared_concepts=tuple(shared[:6]), components=components, **facts)
            )
        return scores, explanations

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
            cosines = index.vectors @ np.asarray(query_vector, dtype=np.float32).reshape(-1)
        return self._rank_with_cosines(query, index, top_k, cosines, query_features, exclude)

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
            block = index.vectors @ query_vectors[start : start + batch_size].T
            for j, query in enumerate(queries[start : start + batch_size]):
                cosines = np.ascontiguousarray(block[:, j])
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
            cosines = np.zeros(len(index), dtype=np.float32)
            candidates = np.arange(len(index))
        else:
            if excluded:
                cosines = cosines.copy()
                cosines[list(excluded)] = -np.inf
            pool = top_k if self.method == "embedding" else max(self.candidate_pool, top_k)
            candidates = top_k_indices(cosines, min(pool + len(excluded), len(index)))
        if excluded:
            candidates = np.array([i for i in candidates if i not in excluded], dtype=np.int64)
        q_features = query_features or self.features(query)
        scores, explanations = self._score_candidates(query, q_features, cosines, candidates, index)
        order = top_k_indices(scores, top_k)
        return [
            Match(
                listing_id=index.listings[candidates[j]].id,
                score=float(scores[j]),
                explanation=explanations[j],
                listing=index.listings[candidates[j]],
            )
            for j in order
        ]
