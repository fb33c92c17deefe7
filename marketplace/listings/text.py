"""The search tokenizer: what a listing is indexed under and what a query asks for.

Korean words are indexed as syllable bigrams (of the raw text and of kiwipiepy's content
morphemes) plus one-syllable nouns, so `미세먼지` finds `미세먼지 저감` and `배터리` finds
`배터리관리시스템` (a trigram index cannot match a two-syllable word such as 드론). English is
lowercased and lightly stemmed. Documents and queries go through the same functions, on SQLite
and PostgreSQL alike, and the terms live in the `listing_terms` table.

Kiwi is shared with matching through `marketplace.korean` (one per process).
"""

import re
from collections.abc import Iterable

from .. import korean

MAX_TERM_LENGTH = 64
MAX_QUERY_TERMS = 8

HANGUL_RUN = re.compile(r"[가-힣]+")
LATIN_WORD = re.compile(r"[a-z0-9]+")
# Morpheme tags that carry meaning: nouns, roots, verb and adjective stems.
CONTENT_TAGS = frozenset({"NNG", "NNP", "NNB", "NR", "XR", "VV", "VA", "SH"})
NOUN_TAGS = frozenset({"NNG", "NNP", "NR"})
STOPWORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "been", "by", "can", "for", "from", "has", "have",
    "in", "into", "is", "it", "its", "of", "on", "or", "our", "over", "per", "such", "than",
    "that", "the", "their", "them", "these", "this", "those", "to", "up", "via", "was", "we",
    "were", "which", "while", "will", "with", "without", "you", "your",
))



def stem(word: str) -> str:
    """A light English stemmer (plural, -ing, -ed): enough for "batteries" ~ "battery"."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, replacement, min_stem in (
        ("ies", "y", 3), ("sses", "ss", 2), ("ments", "ment", 4), ("ing", "", 3),
        ("ed", "", 3), ("es", "", 3), ("s", "", 3),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= min_stem:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            if suffix == "es" and not word.endswith(("ches", "shes", "xes", "zes")):
                continue
            if suffix == "ed" and word.endswith("eed"):
                return word
            word = word[: len(word) - len(suffix)] + replacement
            break
    # "charge", "charged" and "charging" all end as "charg"; "planned" -> "plan".
    if len(word) > 4 and word.endswith("e") and not word.endswith("ee"):
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    return word


def english_terms(text: str) -> list[str]:
    words = LATIN_WORD.findall((text or "").lower())
    return [stem(w)[:MAX_TERM_LENGTH] for w in words if w not in STOPWORDS and
            (len(w) > 1 or w.isdigit())]


def bigrams(word: str) -> list[str]:
    if len(word) < 2:
        return [word] if word else []
    return [word[i:i + 2] for i in range(len(word) - 1)]


def _morphemes(text: str):
    """(form, tag) of the content morphemes kiwipiepy finds in the Hangul parts of `text`."""
    if not HANGUL_RUN.search(text or ""):
        return []
    return [(t.form, t.tag) for t in korean.tokenize(text) if t.tag in CONTENT_TAGS
            and HANGUL_RUN.fullmatch(t.form)]


def korean_terms(text: str) -> list[str]:
    """Index terms for Korean text: bigrams of every Hangul run and of every content morpheme,
    and the one-syllable nouns (차, 물) that have no bigram."""
    terms = []
    for run in HANGUL_RUN.findall(text or ""):
        if len(run) >= 2:
            terms.extend(bigrams(run))
    for form, tag in _morphemes(text):
        if len(form) == 1:
            if tag in NOUN_TAGS:
                terms.append(form)
        else:
            terms.extend(bigrams(form))
    return terms


def document_terms(text: str) -> list[str]:
    return korean_terms(text) + english_terms(text)


def weighted_terms(fields: Iterable[tuple[str | None, int]]) -> dict[str, int]:
    """Terms of several fields, each term weighted by the heaviest field it occurs in plus one
    per further field (a title word outranks a word buried in the description)."""
    weights: dict[str, int] = {}
    for text, weight in fields:
        if not text:
            continue
        for term in set(document_terms(text)):
            weights[term] = max(weights[term], weight) + 1 if term in weights else weight
    return weights


# What a query word keeps: content morphemes plus prefixes and noun suffixes (재활용, 기술적).
CORE_TAGS = CONTENT_TAGS | {"XPN", "XSN"}


def _pieces(run: str) -> list[str]:
    """The content parts of a Hangul word as written, without particles and endings:
    드론을 -> [드론], 배터리관리시스템 -> [배터리, 관리, 시스템]. One-syllable morphemes stay
    joined to their neighbour (재활용, 검체), which a bigram can then cover."""
    spans: list[list[int]] = []
    for token in korean.tokenize(run):
        if token.tag not in CORE_TAGS:
            continue
        start, end = token.start, token.start + token.len
        if spans and (start <= spans[-1][1] and (token.len == 1
                                                 or spans[-1][1] - spans[-1][0] == 1)):
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    return [run[a:b] for a, b in spans] or [run]


def covering_bigrams(word: str) -> list[str]:
    """The fewest bigrams that cover the word (미세먼지 -> 미세, 먼지; 데이터센터 -> 데이, 터센,
    센터): every listing containing the word has them all, and fewer terms mean fewer joins."""
    if len(word) < 2:
        return [word] if word else []
    picked = [word[i:i + 2] for i in range(0, len(word) - 1, 2)]
    if len(word) % 2:
        picked.append(word[-2:])
    return picked


def query_terms(query: str) -> list[str]:
    """The terms a query requires (all of them: AND), deduplicated and capped.

    A Korean word loses its particles and endings (드론을 finds 드론), and each of its parts
    becomes the bigrams that cover it; an English word becomes its stem.
    """
    query = (query or "").strip()[:200]
    terms: list[str] = []
    for word in query.split():
        for run in HANGUL_RUN.findall(word):
            for piece in _pieces(run):
                terms.extend(covering_bigrams(piece))
        terms.extend(english_terms(word))
    unique = list(dict.fromkeys(t for t in terms if t))
    return unique[:MAX_QUERY_TERMS]
