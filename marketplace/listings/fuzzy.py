"""Typo-tolerant query terms: a query term that no listing has is replaced by the closest term
of the index vocabulary, one edit away (two for long English words).

Korean terms are compared letter by letter (jamo): 베터 and 배터 differ in one vowel (ㅔ/ㅐ), so
베터리 finds 배터리, while as syllables they would simply differ. English stems are compared as
written (batery -> battery).

The vocabulary is every distinct term of `listing_terms`, read once per process and again after
`SEARCH_VOCABULARY_SECONDS`; lookups go through a deletion index (every form of a term with one
letter left out), so a correction is a few dictionary reads however large the vocabulary.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, g

from ..extensions import db
from . import text
from .models import ListingTerm

_INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_MEDIALS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_FINALS = ("", "ㄱ", "ㄲ", "ㄳ", "ㄴ", "ㄵ", "ㄶ", "ㄷ", "ㄹ", "ㄺ", "ㄻ", "ㄼ", "ㄽ", "ㄾ", "ㄿ",
           "ㅀ", "ㅁ", "ㅂ", "ㅄ", "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ")


def jamo(word: str) -> str:
    """Hangul syllables decomposed into their letters (배터 -> ㅂㅐㅌㅓ); other characters stay."""
    out = []
    for char in word:
        code = ord(char) - 0xAC00
        if 0 <= code < 11172:
            out.append(_INITIALS[code // 588])
            out.append(_MEDIALS[(code % 588) // 28])
            out.append(_FINALS[code % 28])
        else:
            out.append(char)
    return "".join(out)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal string alignment distance (a swap of two neighbours is one edit)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _key(term: str) -> str:
    return jamo(term) if any("가" <= c <= "힣" for c in term) else term


def max_edits(term: str) -> int:
    """Edits forgiven: none for short English words and numbers, one for Korean bigrams and
    words of four to seven letters, two from eight letters."""
    if any("가" <= c <= "힣" for c in term):
        return 1
    if len(term) < 4 or not term.isalpha():
        return 0
    return 2 if len(term) >= 8 else 1


@dataclass
class Vocabulary:
    terms: frozenset[str]
    by_deletion: dict[str, list[str]]  # jamo/letter form with one letter left out -> terms
    built: float

    @classmethod
    def build(cls, terms) -> Vocabulary:
        terms = frozenset(terms)
        by_deletion: dict[str, list[str]] = {}
        for term in terms:
            key = _key(term)
            for variant in {key, *_deletions(key)}:
                by_deletion.setdefault(variant, []).append(term)
        return cls(terms, by_deletion, time.monotonic())

    def candidates(self, term: str) -> list[str]:
        """Terms of the vocabulary within the edits `max_edits` allows, closest first."""
        allowed = max_edits(term)
        if not allowed:
            return []
        key = _key(term)
        probes = {key, *_deletions(key)}
        if allowed > 1:
            probes |= {d2 for d in _deletions(key) for d2 in _deletions(d)}
        found: dict[str, int] = {}
        for probe in probes:
            for candidate in self.by_deletion.get(probe, ()):
                if candidate != term and candidate not in found:
                    distance = edit_distance(key, _key(candidate), allowed)
                    if distance <= allowed:
                        found[candidate] = distance
        return sorted(found, key=lambda c: (found[c], c))


_lock = threading.Lock()


def vocabulary() -> Vocabulary:
    """The process's vocabulary of index terms, reread when older than the setting says."""
    kept = current_app.extensions.get("search_vocabulary")
    max_age = current_app.config["SEARCH_VOCABULARY_SECONDS"]
    if kept is not None and time.monotonic() - kept.built < max_age:
        return kept
    with _lock:
        kept = current_app.extensions.get("search_vocabulary")
        if kept is None or time.monotonic() - kept.built >= max_age:
            terms = db.session.scalars(sa.select(ListingTerm.term).distinct())
            kept = current_app.extensions["search_vocabulary"] = Vocabulary.build(terms)
    return kept


def document_frequencies(terms) -> dict[str, int]:
    """{term: how many index rows hold it} for those of `terms` the index has. Remembered for
    the rest of the request (correcting a typo and then searching ask for the same terms)
    until `forget_frequencies`."""
    known = g.setdefault("term_frequencies", {})
    asked = sorted(set(terms) - known.keys())
    if asked:
        rows = db.session.connection().execute(
            sa.select(ListingTerm.term, sa.func.count())
            .where(ListingTerm.term.in_(asked)).group_by(ListingTerm.term))
        known.update(dict.fromkeys(asked, 0))
        known.update(dict(rows.all()))
    return {t: known[t] for t in terms if known.get(t)}


def forget_frequencies() -> None:
    """The index changed: the frequencies remembered in this request are wrong."""
    g.pop("term_frequencies", None)


def typo_cost(typed: str, candidate: str) -> float:
    """Edits between what was typed and a candidate, a letter typed once where the word
    doubles it (batery -> battery) counting half: the commonest slip, and it breaks ties with
    other one-edit words (bakery)."""
    if len(candidate) == len(typed) + 1 and any(
            candidate[i] == candidate[i + 1] and candidate[:i] + candidate[i + 1:] == typed
            for i in range(len(candidate) - 1)):
        return 0.5
    return float(edit_distance(_key(typed), _key(candidate)))


def _best(options: list[tuple[str, list[str], float]]) -> str | None:
    """Of (replacement, the terms it needs, its typo cost), the cheapest, and of those the one
    whose rarest term most listings have."""
    if not options:
        return None
    frequencies = document_frequencies({t for _, needed, _ in options for t in needed})
    scored = [(-cost, min(frequencies.get(t, 0) for t in needed), -i, replacement)
              for i, (replacement, needed, cost) in enumerate(options)]
    scored = [s for s in scored if s[1] > 0]
    return max(scored)[3] if scored else None


def _korean_piece(piece: str, known: frozenset[str], vocab: Vocabulary) -> str:
    """The piece with its unknown bigrams swapped for close known ones (베터리 -> 배터리)."""
    missing = [i for i in range(len(piece) - 1) if piece[i:i + 2] not in known]
    if not missing or len(piece) < 2:
        return piece
    options = []
    for start in dict.fromkeys(missing):
        for candidate in vocab.candidates(piece[start:start + 2])[:8]:
            if len(candidate) != 2:
                continue
            fixed = piece[:start] + candidate + piece[start + 2:]
            needed = text.covering_bigrams(fixed)
            if all(t in known for t in needed):
                options.append((fixed, needed, typo_cost(piece, fixed)))
    return _best(options) or piece


def correct(query: str) -> str:
    """The query with each word no listing has replaced by the closest one the index knows;
    the query itself when every word is known or nothing close is."""
    vocab = vocabulary()
    known = vocab.terms
    words = []
    for word in query.split():
        fixed = word
        for run in text.HANGUL_RUN.findall(word):
            for piece in text._pieces(run):
                if any(t not in known for t in text.covering_bigrams(piece)):
                    fixed = fixed.replace(piece, _korean_piece(piece, known, vocab), 1)
        for term in text.english_terms(word):
            if term not in known:
                options = [(c, [c], typo_cost(term, c)) for c in vocab.candidates(term)[:8]]
                replacement = _best(options)
                if replacement:
                    fixed = replacement if fixed == word else f"{fixed} {replacement}"
        words.append(fixed)
    return " ".join(words)
