"""Bilingual concept glossary: maps Korean and English surface forms to shared concept ids.

The semantic model links 드론 and "drone" only approximately; the glossary makes the link exact for
domain terms, and gives explanations something concrete to name ("shared: drone delivery") in the
viewer's language. The data lives in ``glossary.txt`` next to this module (format described in its
header) and is reviewed like code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .lexical import tokenize_en

GLOSSARY_PATH = Path(__file__).with_name("glossary.txt")
SECTORS: tuple[str, ...] = (
    "ai",
    "bio_health",
    "medical_device",
    "fintech",
    "blockchain",
    "mobility",
    "drone",
    "robotics",
    "iot",
    "data",
    "content_xr",
    "media",
    "manufacturing",
    "fashion",
    "environment",
    "energy",
    "security",
    "ecommerce",
    "edutech",
    "proptech",
)


@dataclass(frozen=True, slots=True)
class Concept:
    id: str
    sector: str
    broader: str | None
    en_forms: tuple[str, ...]
    ko_forms: tuple[str, ...]

    def label(self, lang: str) -> str:
        """The concept's name in ``lang`` ('ko' or 'en'): the first form listed for it."""
        forms = self.ko_forms if lang == "ko" else self.en_forms
        return forms[0] if forms else self.id


def _split_forms(field: str) -> tuple[str, ...]:
    return tuple(f.strip() for f in field.split(",") if f.strip())


def parse_glossary(lines: Iterable[str], source: str = "glossary") -> dict[str, Concept]:
    """Parse the glossary format; raise ``ValueError`` naming the line on any mistake."""
    concepts: dict[str, Concept] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split(" | ")]
        if len(fields) != 5:
            raise ValueError(f"{source}:{number}: expected 5 fields, got {len(fields)}")
        cid, sector, broader, en, ko = fields
        if cid in concepts:
            raise ValueError(f"{source}:{number}: duplicate concept id {cid!r}")
        if sector not in SECTORS and sector != "general":
            raise ValueError(f"{source}:{number}: unknown sector {sector!r}")
        en_forms, ko_forms = _split_forms(en), _split_forms(ko)
        if not en_forms or not ko_forms:
            raise ValueError(f"{source}:{number}: {cid!r} needs English and Korean forms")
        parent = None if broader == "-" else broader
        concepts[cid] = Concept(cid, sector, parent, en_forms, ko_forms)
    for concept in concepts.values():
        if concept.broader and concept.broader not in concepts:
            raise ValueError(f"{source}: {concept.id!r} has unknown broader {concept.broader!r}")
    return concepts


_SPACES = re.compile(r"\s+")
_HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")


class Glossary:
    """Finds concepts in text.

    English forms are matched as token sequences after the same normalisation as the lexical
    index (lowercase, stop words dropped, light stemming), in any listing. Korean forms are
    matched as substrings of the lowercased text; forms of three syllables or more also match
    across spacing differences (배터리 관리 시스템 / 배터리관리시스템).
    """

    def __init__(self, concepts: dict[str, Concept]):
        self.concepts = concepts
        self._en: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self._ko_forms: dict[str, set[str]] = {}
        for concept in concepts.values():
            for form in concept.en_forms:
                tokens = tuple(tokenize_en(form))
                if tokens:
                    self._en.setdefault(tokens[0], []).append((tokens, concept.id))
            for form in concept.ko_forms:
                form = form.lower()
                for variant in {form, _SPACES.sub("", form)}:
                    if len(variant) >= 2:
                        self._ko_forms.setdefault(variant, set()).add(concept.id)
        # Korean noun phrases often take a particle or a modifier between their words
        # (음향 감지 / 음향을 자동 감지): multi-word forms also match with one word in between.
        self._ko_gapped: dict[str, list[tuple[re.Pattern[str], str]]] = {}
        for concept in concepts.values():
            for form in concept.ko_forms:
                words = form.lower().split()
                if len(words) < 2:
                    continue
                gap = r"\S*\s+(?:\S+\s+)?"
                pattern = re.compile(gap.join(re.escape(w) for w in words))
                self._ko_gapped.setdefault(words[0], []).append((pattern, concept.id))
        # Scanning is a dictionary lookup per position, filtered by two-character prefixes
        # (several times faster than one large regex alternation over ~1,500 forms).
        self._ko_prefixes = {f[:2] for f in self._ko_forms}
        self._ko_lengths = sorted({len(f) for f in self._ko_forms})

    def broader_chain(self, cid: str) -> list[str]:
        """Broader concepts of ``cid``, nearest first."""
        out: list[str] = []
        parent = self.concepts[cid].broader
        while parent and parent not in out and parent != cid:
            out.append(parent)
            parent = self.concepts[parent].broader
        return out

    def find(self, text: str) -> set[str]:
        """Concept ids mentioned in ``text`` (exact forms only, no broader concepts)."""
        found: set[str] = set()
        if not text:
            return found
        # Latin phrases must not span Hangul: in "AI 기반 CCTV" the words AI and CCTV are not the
        # phrase "AI CCTV".
        for segment in _HANGUL_RUN.split(text):
            tokens = tokenize_en(segment)
            for i, tok in enumerate(tokens):
                for phrase, cid in self._en.get(tok, ()):
                    if tuple(tokens[i : i + len(phrase)]) == phrase:
                        found.add(cid)
        if self._ko_forms:
            lowered = text.lower()
            self._find_ko(lowered, 2, found)
            self._find_ko(_SPACES.sub("", lowered), 3, found)
            for first, patterns in self._ko_gapped.items():
                if first in lowered:
                    for pattern, cid in patterns:
                        if cid not in found and pattern.search(lowered):
                            found.add(cid)
        return found

    def _find_ko(self, text: str, min_len: int, found: set[str]) -> None:
        forms, prefixes = self._ko_forms, self._ko_prefixes
        lengths = [n for n in self._ko_lengths if n >= min_len]
        for start in range(len(text) - 1):
            if text[start : start + 2] not in prefixes:
                continue
            for length in lengths:
                cids = forms.get(text[start : start + length])
                if cids:
                    found |= cids

    def expand(self, concept_ids: Iterable[str]) -> set[str]:
        """The concepts plus all their broader concepts."""
        out = set(concept_ids)
        for cid in list(out):
            out.update(self.broader_chain(cid))
        return out

    def label(self, cid: str, lang: str) -> str:
        concept = self.concepts.get(cid)
        return concept.label(lang) if concept else cid


@lru_cache(maxsize=4)
def load_glossary(path: str | Path = GLOSSARY_PATH) -> Glossary:
    """Load and cache the glossary (once per process for the default file)."""
    path = Path(path)
    with open(path, encoding="utf-8") as fh:
        return Glossary(parse_glossary(fh, source=path.name))
