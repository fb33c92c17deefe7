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

import copy
import math
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from .documents import Listing
from .explanations import Explanation
from .glossary import SECTORS, Glossary, load_glossary
from .lexical import BM25, TfidfIndex, gather_rows, has_hangul, tokenize
from .models import EmbeddingModel, blas_threads, default_threads, get_model, normalise_rows
from .signals import (
    budget_fit,
    deal_overlap,
    sector_affinity,
    trl_fit,
)

DEAL_TYPES = (
    "license",
    "transfer",
    "joint_development",
    "poc",
    "supply",
    "investment",
    "acquisition",
)
_SECTOR_CODE = {s: i for i, s in enumerate(SECTORS)}
# sector_affinity as a lookup table; the last row/column is "no sector"
_AFFINITY = np.zeros((len(SECTORS) + 1, len(SECTORS) + 1), dtype=np.float64)
for _i, _a in enumerate(SECTORS):
    for _j, _b in enumerate(SECTORS):
        _AFFINITY[_i, _j] = sector_affinity(_a, _b)

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


_HELPER: tuple[int, ThreadPoolExecutor] | None = None


def _helper() -> ThreadPoolExecutor:
    """One helper thread per process (see :meth:`MatchEngine._scan_while_tokenising`); a
    forked child makes its own, since threads do not survive a fork."""
    global _HELPER
    if _HELPER is None or _HELPER[0] != os.getpid():
        _HELPER = (os.getpid(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="matching"))
    return _HELPER[1]


def top_k_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores, best first, without sorting the whole array."""
    n = scores.shape[0]
    if k <= 0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k] if k < n else np.arange(n)
    return part[np.argsort(-scores[part], kind="stable")]


class _Structured:
    """A listing's structured fields as numbers, so a shortlist is scored without Python loops."""

    __slots__ = ("readiness", "deals", "sector", "lo", "hi", "currency")

    def __init__(
        self, listings: Sequence[Listing], codes: dict[str, int], currencies: dict[str, int]
    ) -> None:
        n = len(listings)
        self.readiness = np.full(n, np.nan)
        self.deals = np.zeros(n, dtype=np.int64)
        self.sector = np.full(n, len(SECTORS), dtype=np.int16)
        self.lo = np.full(n, np.nan)
        self.hi = np.full(n, np.nan)
        self.currency = np.full(n, -1, dtype=np.int32)
        for i, listing in enumerate(listings):
            r = listing.readiness
            if r is not None:
                self.readiness[i] = r
            for deal_type in listing.deal_types:
                self.deals[i] |= 1 << codes.setdefault(deal_type, len(codes))
            self.sector[i] = _SECTOR_CODE.get(listing.sector or "", len(SECTORS))
            lo, hi = listing.price_min, listing.price_max
            if lo is not None or hi is not None:
                lo = lo if lo is not None else hi
                hi = hi if hi is not None else lo
                self.lo[i], self.hi[i] = min(lo, hi), max(lo, hi)  # type: ignore[type-var]
            if listing.currency:
                self.currency[i] = currencies.setdefault(listing.currency, len(currencies))

    def extended(self, more: _Structured) -> _Structured:
        out = _Structured.__new__(_Structured)
        for name in self.__slots__:
            setattr(out, name, np.concatenate([getattr(self, name), getattr(more, name)]))
        return out


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
        self.structured = _Structured(self.listings, self.deal_codes, self.currencies)
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
                _Structured(listings, out.deal_codes, out.currencies))
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
    def _adjustments(
        self, query: Listing, index: ListingIndex, rows: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Structured signals for the shortlist, vectorised; mirrors :mod:`.signals`."""
        w, st = self.weights, index.structured
        # copies: a query with a deal type or currency the index has not seen must not add it
        # to an index that other queries are reading
        currencies = dict(index.currencies)
        q = _Structured([query], dict(index.deal_codes), currencies)
        need_side = query.kind == "need"
        # TRL: the need's minimum against the offering's level
        min_trl = q.readiness[0] if need_side else st.readiness[rows]
        trl = st.readiness[rows] if need_side else q.readiness[0]
        gap = np.nan_to_num(np.asarray(min_trl - trl, dtype=np.float64), nan=0.0)
        trl_pen = np.where(gap > 0, np.minimum(1.0 + 0.5 * (gap - 1.0), 2.0), 0.0)
        # deal types: a penalty only when both sides named some and none is shared
        cand_deals = st.deals[rows]
        no_deal = (q.deals[0] != 0) & (cand_deals != 0) & ((cand_deals & q.deals[0]) == 0)
        # budget: the offering's lowest price against the need's highest budget
        if need_side:
            budget_hi, price_lo = q.hi[0], st.lo[rows]
        else:
            budget_hi, price_lo = st.hi[rows], q.lo[0]
        same_currency = (q.currency[0] == st.currency[rows]) | (q.currency[0] < 0)
        same_currency |= st.currency[rows] < 0
        # the candidates' amounts in the query's currency, where both have a rate
        rate = np.full(len(currencies) + 1, np.nan)  # code -1 (none) reads the last: nan
        for code, i in currencies.items():
            rate[i] = self.rates.get(code, np.nan)
        factor = np.where(same_currency, 1.0, rate[st.currency[rows]] / rate[q.currency[0]])
        comparable = np.isfinite(factor)
        if need_side:
            price_lo = price_lo * factor
        else:
            budget_hi = budget_hi * factor
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.asarray(price_lo / np.maximum(budget_hi, 1.0), dtype=np.float64)
            above = (price_lo > budget_hi) & comparable
            budget_pen = np.where(above, np.minimum(1.0, np.log(ratio) / math.log(4.0)), 0.0)
        affinity = _AFFINITY[q.sector[0], st.sector[rows]]
        return {
            "trl": -w.trl * trl_pen,
            "deal": -w.deal * no_deal.astype(np.float64),
            "budget": -w.budget * np.nan_to_num(budget_pen, nan=0.0),
            "sector": w.sector * affinity,
        }

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
        components |= self._adjustments(query, index, rows)
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
