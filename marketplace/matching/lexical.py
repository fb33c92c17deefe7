"""Korean-aware lexical matching: tokens a user would type, scored with BM25.

Korean compounds hide their parts (물류드론, 배터리관리시스템) and two-syllable words are common, so
Korean text is indexed as kiwipiepy nouns/roots plus syllable bigrams of each noun compound.
English (and Latin words inside Korean text, e.g. CCTV, AI) is lowercased and lightly stemmed.
"""

from __future__ import annotations

import copy
import math
import re
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np

from .. import korean

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")

# Kiwi tags kept as content words: common/proper nouns, roots, verb and adjective stems, Latin.
_KO_NOUN_TAGS = frozenset({"NNG", "NNP", "XR"})
_KO_PRED_TAGS = frozenset({"VV", "VA"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_KO_STOP = _words(
    "것 수 등 및 때 중 더 개 곳 약 위 를 이 그 저 년 월 일 명 대 전 후 내 외 점 분 초 회 건 "
    "하 되 있 없 같 이러 그러 받 주 보 싶 말 통하 위하 대하 따르 의하"
)
_EN_STOP = _words(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just let me more most must my myself no nor not now of off on once only or other
    our ours ourselves out over own per same she should so some such than that the their theirs
    them themselves then there these they this those through to too under until up upon us very
    via was we were what when where which while who whom why will with within without would you
    your yours yourself yourselves new need needs want wants looking seek seeking offer offers
    provide provides use used using uses one two three four five six seven eight nine ten
    able across already among around based etc every however including like many may much near
    often still well whether yet"""
)


def has_hangul(text: str) -> bool:
    return bool(_HANGUL.search(text))


def stem_en(word: str) -> str:
    """A deliberately light English stemmer: plural and common verb endings only.

    Heavier stemmers conflate domain terms (e.g. "battery"/"batter"); glossary concepts cover the
    meaningful variants instead.
    """
    w = word
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("sses"):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[: -len(suffix)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]  # running -> run
            break
    return w


def tokenize_en(text: str) -> list[str]:
    """Lowercased, stop-word-free, lightly stemmed Latin-script tokens."""
    out = []
    for word in _LATIN_WORD.findall(text.lower()):
        if word in _EN_STOP or len(word) < 2 or not any(c.isalpha() for c in word):
            continue
        out.append(stem_en(word))
    return out




def _bigrams(word: str) -> list[str]:
    return ["#" + word[i : i + 2] for i in range(len(word) - 1)]


@lru_cache(maxsize=4096)
def _tokenize_ko_cached(text: str) -> tuple[str, ...]:
    tokens: list[str] = []
    compound: list[str] = []
    last_end = -1

    def flush() -> None:
        if compound:
            joined = "".join(compound)
            if len(joined) >= 2:
                tokens.extend(_bigrams(joined))
            if len(compound) > 1:
                tokens.append(joined)
            compound.clear()

    analysed = korean.tokenize(text)
    for tok in analysed:
        form, tag = tok.form, tok.tag
        if tag in _KO_NOUN_TAGS:
            if tok.start != last_end:
                flush()
            compound.append(form)
            last_end = tok.start + tok.len
            if form not in _KO_STOP and (len(form) > 1 or tag == "NNP"):
                tokens.append(form)
            continue
        if tag.startswith("XSN") and tok.start == last_end:
            last_end = tok.start + tok.len  # 내장+형: suffix keeps the compound going
            continue
        flush()
        last_end = -1
        if tag in _KO_PRED_TAGS and form not in _KO_STOP:
            tokens.append(form + "다")
    flush()
    # Latin words inside Korean text (CCTV, PM2.5, 3D) are read from the raw text, not from
    # Kiwi's split, so they tokenise exactly as they would in an English listing.
    tokens.extend(tokenize_en(text))
    return tuple(tokens)


def tokenize(text: str) -> list[str]:
    """Tokens for BM25: Korean morphemes and bigrams where there is Hangul, English otherwise."""
    if not text:
        return []
    if has_hangul(text):
        return list(_tokenize_ko_cached(text))
    return tokenize_en(text)


def gather_rows(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the entries of CSR ``rows``, and which of ``rows`` (0..len-1) owns each."""
    starts = indptr[rows]
    sizes = indptr[rows + 1] - starts
    owner = np.repeat(np.arange(len(rows)), sizes)
    positions = np.repeat(starts - (np.cumsum(sizes) - sizes), sizes) + np.arange(int(sizes.sum()))
    return positions, owner


class BM25:
    """Okapi BM25 over a fixed collection of token lists, stored as compact numpy arrays.

    Each document keeps its distinct term ids and counts in one CSR-style layout (about 8 bytes
    per distinct term, ~50 MB for 100,000 listings, where per-document dicts would take ~10x
    more). Scoring a query against a shortlist gathers only those documents' rows, so its cost
    does not grow with the corpus.
    """

    def __init__(self, documents: Iterable[Sequence[str]], k1: float = 1.2, b: float = 0.75):
        self.k1 = k1
        self.b = b
        self.vocab: dict[str, int] = {}
        self.indptr, self.term_ids, self.counts, self.lengths = self._encode(documents, 0)
        self._set_statistics(np.ones(len(self.lengths), dtype=bool))

    def _encode(self, documents: Iterable[Sequence[str]], offset: int):
        """CSR arrays of ``documents`` (``indptr`` starting at ``offset``); grows the vocabulary."""
        indptr = array("q", [offset])
        term_ids = array("i")
        counts = array("f")
        lengths = array("f")
        for doc in documents:
            tf = Counter(doc)
            for term, count in tf.items():
                term_ids.append(self.vocab.setdefault(term, len(self.vocab)))
                counts.append(count)
            indptr.append(offset + len(term_ids))
            lengths.append(len(doc))
        return (np.frombuffer(indptr, dtype=np.int64).copy(),
                np.frombuffer(term_ids, dtype=np.int32).copy(),
                np.frombuffer(counts, dtype=np.float32).copy(),
                np.frombuffer(lengths, dtype=np.float32).copy())

    def _set_statistics(self, alive: np.ndarray) -> None:
        """Collection statistics over the documents still ``alive`` (the others are ignored)."""
        self.n_docs = int(alive.sum())
        self.avgdl = float(self.lengths[alive].mean()) if self.n_docs else 0.0
        owner_alive = np.repeat(alive, np.diff(self.indptr))
        df = np.bincount(self.term_ids[owner_alive], minlength=len(self.vocab)).astype(np.float64)
        self._idf = np.log1p((self.n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)

    def changed(self, alive: np.ndarray, documents: Sequence[Sequence[str]]) -> BM25:
        """A copy with ``documents`` appended and statistics over ``alive`` rows (old + new).

        Documents are never removed, only left out of the statistics, so row numbers stay valid.
        """
        out = copy.copy(self)
        out.vocab = dict(self.vocab)
        indptr, term_ids, counts, lengths = out._encode(documents, int(self.indptr[-1]))
        out.indptr = np.concatenate([self.indptr, indptr[1:]])
        out.term_ids = np.concatenate([self.term_ids, term_ids])
        out.counts = np.concatenate([self.counts, counts])
        out.lengths = np.concatenate([self.lengths, lengths])
        out._set_statistics(alive)
        return out

    def idf(self, term: str) -> float:
        tid = self.vocab.get(term)
        if tid is None:
            return math.log1p((self.n_docs + 0.5) / 0.5)
        return float(self._idf[tid])

    def score(self, query: Sequence[str], indices: Sequence[int] | None = None) -> np.ndarray:
        """BM25 score of ``query`` against the documents at ``indices`` (all by default)."""
        rows = np.arange(len(self.lengths)) if indices is None else np.asarray(indices, np.int64)
        out = np.zeros(len(rows), dtype=np.float32)
        query_ids = np.array(
            sorted({self.vocab[t] for t in query if t in self.vocab}), dtype=np.int32
        )
        if len(rows) == 0 or len(query_ids) == 0:
            return out
        positions, owner = gather_rows(self.indptr, rows)
        hit = np.isin(self.term_ids[positions], query_ids)
        positions, owner = positions[hit], owner[hit]
        tf = self.counts[positions]
        norm = self.k1 * (1.0 - self.b + self.b * self.lengths[rows] / (self.avgdl or 1.0))
        contrib = self._idf[self.term_ids[positions]] * tf * (self.k1 + 1.0) / (tf + norm[owner])
        out += np.bincount(owner, weights=contrib, minlength=len(rows)).astype(np.float32)
        return out

    def self_score(self, query: Sequence[str]) -> float:
        """Score the query would get against a document identical to itself: an upper scale."""
        counts = Counter(query)
        length = sum(counts.values())
        k1, b, avgdl = self.k1, self.b, self.avgdl or 1.0
        norm = k1 * (1.0 - b + b * length / avgdl)
        return float(sum(self.idf(t) * f * (k1 + 1.0) / (f + norm) for t, f in counts.items()))


_PLAIN_WORD = re.compile(r"\w+")


class TfidfIndex:
    """Plain word TF-IDF with cosine similarity: the baseline the hybrid is measured against.

    Words are whatever ``\\w+`` finds, lowercased; no morphology, no stemming, no stop words.
    """

    def __init__(self, documents: Iterable[str]):
        self.tf = [Counter(_PLAIN_WORD.findall(doc.lower())) for doc in documents]
        n = len(self.tf)
        df: Counter[str] = Counter()
        for counts in self.tf:
            df.update(counts.keys())
        self.idf = {t: math.log((1 + n) / (1 + d)) + 1.0 for t, d in df.items()}
        self.vectors = [self._weigh(c) for c in self.tf]

    def _weigh(self, counts: Counter[str]) -> dict[str, float]:
        vec = {t: f * self.idf.get(t, 0.0) for t, f in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v / norm for t, v in vec.items() if v}

    def similarity(self, text: str, indices: Sequence[int] | None = None) -> np.ndarray:
        if indices is None:
            indices = range(len(self.vectors))
        query = self._weigh(Counter(_PLAIN_WORD.findall(text.lower())))
        out = np.zeros(len(indices), dtype=np.float64)
        for row, i in enumerate(indices):
            doc = self.vectors[i]
            out[row] = sum(w * doc.get(t, 0.0) for t, w in query.items())
        return out
