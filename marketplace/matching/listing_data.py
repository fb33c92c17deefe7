"""Listings as the matching engine sees them: plain data, no database.

The engine never touches ORM objects, so it can be fed from the database, from the JSON API's
listing shape, or from the JSON Lines files used to evaluate it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Kind = Literal["need", "offering"]
KINDS: tuple[str, ...] = ("need", "offering")
LANGS: tuple[str, ...] = ("ko", "en")


@dataclass(frozen=True, slots=True)
class Listing:
    """One need or offering, reduced to what matching uses.

    ``trl`` is the offering's readiness level; ``min_trl`` is the lowest level a need accepts.
    Prices are integers in minor units with an ISO currency code, as everywhere in the app.
    """

    id: str
    kind: Kind
    lang: str
    title: str
    description: str = ""
    summary: str = ""
    keywords: tuple[str, ...] = ()
    sector: str | None = None
    trl: int | None = None
    min_trl: int | None = None
    deal_types: tuple[str, ...] = ()
    price_min: int | None = None
    price_max: int | None = None
    currency: str | None = None
    extra_text: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")

    @property
    def text(self) -> str:
        """The text that is embedded and indexed: title, summary, body and the poster's tags."""
        parts = [self.title, self.summary, self.description, self.extra_text]
        if self.keywords:
            parts.append(", ".join(self.keywords))
        return "\n".join(p.strip() for p in parts if p and p.strip())

    @property
    def readiness(self) -> int | None:
        """TRL for an offering, minimum TRL for a need."""
        return self.trl if self.kind == "offering" else self.min_trl


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(str(v) for v in value)


def _int_or_none(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def _pick_lang_texts(data: Mapping[str, Any], name: str, lang: str) -> tuple[str, str]:
    """Return (primary, other) text for a bilingual API field such as ``title_ko``/``title_en``."""
    other_lang = "en" if lang == "ko" else "ko"
    return (data.get(f"{name}_{lang}") or "", data.get(f"{name}_{other_lang}") or "")


def listing_from_dict(data: Mapping[str, Any], kind: str | None = None) -> Listing:
    """Build a :class:`Listing` from a sample JSONL record or from the API's listing shape.

    The sample shape has ``lang``, ``title`` and ``description``; the API shape has
    ``title_ko``/``title_en`` etc. When both languages are filled in, the listing's own language
    (``lang``, else Korean when present) is primary and the other text is appended, so the
    embedding and the lexical index see everything the poster wrote.
    """
    kind = kind or data.get("kind")
    if kind is None:
        kind = "need" if "min_trl" in data else "offering"
    bilingual = any(f"title_{lang}" in data for lang in LANGS)
    if bilingual:
        lang = data.get("lang") or ("ko" if data.get("title_ko") else "en")
        title, title_other = _pick_lang_texts(data, "title", lang)
        summary, summary_other = _pick_lang_texts(data, "summary", lang)
        description, description_other = _pick_lang_texts(data, "description", lang)
        if not title:
            title, title_other = title_other, ""
        extra = "\n".join(t for t in (title_other, summary_other, description_other) if t)
    else:
        lang = data.get("lang") or "ko"
        title = data.get("title") or ""
        summary = data.get("summary") or ""
        description = data.get("description") or data.get("text") or ""
        extra = ""
    return Listing(
        id=str(data["id"]),
        kind=kind,  # type: ignore[arg-type]
        lang=lang,
        title=title,
        description=description,
        summary=summary,
        keywords=_tuple(data.get("keywords")),
        sector=data.get("sector") or None,
        trl=_int_or_none(data.get("trl")),
        min_trl=_int_or_none(data.get("min_trl")),
        deal_types=_tuple(data.get("deal_types")),
        price_min=_int_or_none(data.get("price_min")),
        price_max=_int_or_none(data.get("price_max")),
        currency=data.get("currency") or None,
        extra_text=extra,
    )


def _read_jsonl(path: str | Path) -> Iterable[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            line = line.strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc


def load_listings(path: str | Path, kind: str) -> list[Listing]:
    """Load needs or offerings from a JSON Lines file (one listing per line)."""
    return [listing_from_dict(record, kind) for record in _read_jsonl(path)]


def load_qrels(path: str | Path) -> dict[str, dict[str, int]]:
    """Load relevance judgements as ``{need_id: {offering_id: grade}}``."""
    qrels: dict[str, dict[str, int]] = {}
    for record in _read_jsonl(path):
        qrels.setdefault(str(record["need"]), {})[str(record["offering"])] = int(record["grade"])
    return qrels
