"""Who signs a contract for each party: a name and a title, named on the draft.

The contract prints them as the party's representative (``대표이사 김하늘`` / ``Haneul Kim,
CEO``), and signing asks for the signatory's name as written there.
"""

from __future__ import annotations

from ..deals.models import Deal
from ..deals.states import Side
from . import variables

MAX_TEXT = 100


def clean(text: str | None) -> str:
    """One line with single spaces."""
    return " ".join((text or "").split())


def same_name(typed: str | None, expected: str | None) -> bool:
    """Whether `typed` is `expected`, spaces and case aside ("minjipark" is "Minji Park")."""
    def key(text):
        return "".join((text or "").split()).casefold()

    return bool(key(typed)) and key(typed) == key(expected)


def defaults(deal: Deal, template_key: str) -> dict[str, dict]:
    """The signatories a new draft starts with, by party: none where the organisation names
    its representative (the contract prints that, and signing asks for it, until the party
    names someone else), else whoever spoke for the side."""
    names = variables.signatory_names(deal)
    out = {}
    for side in (Side.buyer, Side.seller):
        org = deal.org_of(side)
        if org.representative_ko or org.representative_en:
            continue
        name = clean(names.get(side))
        if name:
            out[variables.party_field(template_key, side)] = {"name": name, "title": None}
    return out


def representative(signatory: dict) -> str | dict:
    """The party's representative as the contract prints it, in Korean and English order."""
    name, title = signatory["name"], signatory.get("title")
    if not title:
        return name
    return variables.bilingual(f"{title} {name}", f"{name}, {title}")


def with_representatives(values: dict, signatories: dict[str, dict]) -> dict:
    """`values` with each named party's representative taken from its signatory."""
    out = dict(values)
    for party, signatory in signatories.items():
        out[party] = {**(out.get(party) or {}), "representative": representative(signatory)}
    return out


def describe(signatory: dict | None) -> str | None:
    """A signatory as the change log shows it: ``Minji Park (CEO)``."""
    if not signatory:
        return None
    title = signatory.get("title")
    return f"{signatory['name']} ({title})" if title else signatory["name"]
