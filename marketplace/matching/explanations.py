"""Why two listings were matched: structured data for storage, rendered text in ko or en.

The structured form (``Explanation.to_dict()``) is what the app stores with a match; the text is
rendered when shown, in the viewer's language, naming shared concepts by their glossary label in
that language. Every phrase exists in both languages (a test checks the two tables agree).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .glossary import Glossary, load_glossary

LANGUAGES = ("ko", "en")

PHRASES: dict[str, dict[str, str]] = {
    "ko": {
        "shared_concepts": "공통 주제: {concepts}",
        "no_shared_concepts": "설명 내용이 유사함",
        "same_sector": "같은 분야({sector})",
        "related_sector": "관련 분야({need_sector} · {offering_sector})",
        "trl_meets": "기술성숙도 TRL {trl} (요구 최소 {min_trl} 충족)",
        "trl_below": "기술성숙도 TRL {trl}, 요구 최소 {min_trl}에 미달",
        "deal_overlap": "가능한 거래 방식: {deal_types}",
        "deal_none": "희망 거래 방식이 일치하지 않음",
        "budget_fits": "예산 범위 안",
        "budget_above": "가격이 예산보다 높음",
        "budget_below": "가격이 예산보다 낮음",
        "separator": " · ",
        "list_separator": ", ",
    },
    "en": {
        "shared_concepts": "Shared topics: {concepts}",
        "no_shared_concepts": "Similar descriptions",
        "same_sector": "Same sector ({sector})",
        "related_sector": "Related sectors ({need_sector} · {offering_sector})",
        "trl_meets": "TRL {trl} (meets the minimum of {min_trl})",
        "trl_below": "TRL {trl}, below the required minimum of {min_trl}",
        "deal_overlap": "Deal types in common: {deal_types}",
        "deal_none": "No deal type in common",
        "budget_fits": "Within budget",
        "budget_above": "Priced above the budget",
        "budget_below": "Priced below the budget",
        "separator": " · ",
        "list_separator": ", ",
    },
}

SECTOR_LABELS: dict[str, dict[str, str]] = {
    "ko": {
        "ai": "인공지능",
        "bio_health": "바이오·헬스",
        "medical_device": "의료기기",
        "fintech": "핀테크",
        "blockchain": "블록체인",
        "mobility": "모빌리티",
        "drone": "드론",
        "robotics": "로봇",
        "iot": "사물인터넷",
        "data": "데이터",
        "content_xr": "콘텐츠·XR",
        "media": "미디어",
        "manufacturing": "제조",
        "fashion": "패션",
        "environment": "환경",
        "energy": "에너지",
        "security": "보안",
        "ecommerce": "이커머스",
        "edutech": "에듀테크",
        "proptech": "프롭테크",
    },
    "en": {
        "ai": "AI",
        "bio_health": "bio & health",
        "medical_device": "medical devices",
        "fintech": "fintech",
        "blockchain": "blockchain",
        "mobility": "mobility",
        "drone": "drones",
        "robotics": "robotics",
        "iot": "IoT",
        "data": "data",
        "content_xr": "content & XR",
        "media": "media",
        "manufacturing": "manufacturing",
        "fashion": "fashion",
        "environment": "environment",
        "energy": "energy",
        "security": "security",
        "ecommerce": "e-commerce",
        "edutech": "edtech",
        "proptech": "proptech",
    },
}

DEAL_TYPE_LABELS: dict[str, dict[str, str]] = {
    "ko": {
        "license": "라이선스",
        "transfer": "기술이전",
        "joint_development": "공동개발",
        "poc": "실증(PoC)",
        "supply": "공급",
        "investment": "투자",
        "acquisition": "인수",
    },
    "en": {
        "license": "licence",
        "transfer": "transfer",
        "joint_development": "joint development",
        "poc": "PoC",
        "supply": "supply",
        "investment": "investment",
        "acquisition": "acquisition",
    },
}


@dataclass(frozen=True, slots=True)
class Explanation:
    """Structured reasons for one need-offering match (JSON-safe via :meth:`to_dict`)."""

    shared_concepts: tuple[str, ...] = ()
    need_sector: str | None = None
    offering_sector: str | None = None
    sector_affinity: float = 0.0
    trl_fit: str = "unknown"  # meets | below | unknown
    offering_trl: int | None = None
    min_trl: int | None = None
    deal_types_shared: tuple[str, ...] | None = None  # None: a side gave no deal types
    budget_fit: str = "unknown"  # fits | above | below | unknown
    components: dict[str, float] = field(default_factory=dict)

    @property
    def sector_match(self) -> bool:
        return self.sector_affinity >= 1.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["shared_concepts"] = list(self.shared_concepts)
        if self.deal_types_shared is not None:
            data["deal_types_shared"] = list(self.deal_types_shared)
        data["sector_match"] = self.sector_match
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Explanation:
        deal = data.get("deal_types_shared")
        return cls(
            shared_concepts=tuple(data.get("shared_concepts") or ()),
            need_sector=data.get("need_sector"),
            offering_sector=data.get("offering_sector"),
            sector_affinity=float(data.get("sector_affinity") or 0.0),
            trl_fit=data.get("trl_fit") or "unknown",
            offering_trl=data.get("offering_trl"),
            min_trl=data.get("min_trl"),
            deal_types_shared=None if deal is None else tuple(deal),
            budget_fit=data.get("budget_fit") or "unknown",
            components=dict(data.get("components") or {}),
        )


def _label(table: dict[str, dict[str, str]], lang: str, code: str | None) -> str:
    return table[lang].get(code or "", code or "")


def explanation_parts(
    explanation: Explanation | dict[str, Any],
    lang: str,
    glossary: Glossary | None = None,
    max_concepts: int = 4,
) -> list[str]:
    """The explanation as a list of short phrases in ``lang`` ('ko' or 'en')."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, not {lang!r}")
    if isinstance(explanation, dict):
        explanation = Explanation.from_dict(explanation)
    glossary = glossary or load_glossary()
    p = PHRASES[lang]
    parts: list[str] = []
    if explanation.shared_concepts:
        names = [glossary.label(c, lang) for c in explanation.shared_concepts[:max_concepts]]
        parts.append(p["shared_concepts"].format(concepts=p["list_separator"].join(names)))
    else:
        parts.append(p["no_shared_concepts"])
    if explanation.sector_affinity >= 1.0:
        parts.append(
            p["same_sector"].format(sector=_label(SECTOR_LABELS, lang, explanation.need_sector))
        )
    elif explanation.sector_affinity > 0:
        parts.append(
            p["related_sector"].format(
                need_sector=_label(SECTOR_LABELS, lang, explanation.need_sector),
                offering_sector=_label(SECTOR_LABELS, lang, explanation.offering_sector),
            )
        )
    if explanation.trl_fit in ("meets", "below"):
        key = "trl_meets" if explanation.trl_fit == "meets" else "trl_below"
        parts.append(p[key].format(trl=explanation.offering_trl, min_trl=explanation.min_trl))
    if explanation.deal_types_shared is not None:
        if explanation.deal_types_shared:
            names = [_label(DEAL_TYPE_LABELS, lang, t) for t in explanation.deal_types_shared]
            parts.append(p["deal_overlap"].format(deal_types=p["list_separator"].join(names)))
        else:
            parts.append(p["deal_none"])
    if explanation.budget_fit in ("fits", "above", "below"):
        parts.append(p[f"budget_{explanation.budget_fit}"])
    return parts


def render_explanation(
    explanation: Explanation | dict[str, Any], lang: str, glossary: Glossary | None = None
) -> str:
    """One line of text for the viewer, e.g. "공통 주제: 드론 배송, 검체 · TRL 6 …"."""
    return PHRASES[lang]["separator"].join(explanation_parts(explanation, lang, glossary))
