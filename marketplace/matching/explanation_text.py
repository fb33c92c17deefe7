"""A stored explanation as phrases in the reader's language, the investor's own reasons
included (the engine's part is rendered by :mod:`.explanations`)."""

from __future__ import annotations

from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l

from .explanations import Explanation, explanation_parts

INVESTOR_PHRASES = {
    "same": _l("In your focus sectors"),
    "related": _l("Next to your focus sectors"),
    "within": _l("Readiness fits your stage"),
    "later": _l("Later than your stage"),
    "unreadable": _l("Not written in your languages"),
    "outside_region": _l("Outside your regions"),
}


def explanation_text(explanation: dict, lang: str | None = None) -> str:
    return " · ".join(explanation_list(explanation, lang))


def explanation_list(explanation: dict, lang: str | None = None) -> list[str]:
    """The stored explanation as phrases in the viewer's language."""
    lang = lang or str(get_locale() or "ko")
    lang = lang if lang in ("ko", "en") else "ko"
    parts = explanation_parts(Explanation.from_dict(explanation), lang)
    facts = explanation.get("investor")
    if facts:
        with force_locale(lang):
            if facts.get("sector_focus") in ("same", "related"):
                parts.insert(1, str(INVESTOR_PHRASES[facts["sector_focus"]]))
            if facts.get("stage_fit") in ("within", "later"):
                parts.append(str(INVESTOR_PHRASES[facts["stage_fit"]]))
            if facts.get("language_fit") is False:
                parts.append(str(INVESTOR_PHRASES["unreadable"]))
            if facts.get("region_fit") is False:
                parts.append(str(INVESTOR_PHRASES["outside_region"]))
    return parts
