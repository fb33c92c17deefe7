"""The one place where a deal's agreed Terms and parties become a contract template's variables.

Deals and templates speak slightly different languages, and every difference is settled here:

- which template a deal type uses (`TEMPLATE_FOR`; investment and acquisition share one, the
  NDA step uses ``nda``);
- which side is which party (the seller licenses, assigns, provides, supplies or issues shares;
  the buyer is the other party; in a joint development the buyer is party A, because Terms'
  ``cost_share_percent`` is the buyer's share and the template's is party A's);
- money: Terms keep an integer amount and a top-level ``currency``; a template wants
  ``{"amount", "currency"}`` for every amount, schedule items included;
- choices: Terms ``sublicensing`` is a yes/no, the template has ``allowed | with_consent |
  prohibited``; Terms ``results_owner`` is ``buyer | seller | joint``, the template's is
  ``party_a | party_b | joint``;
- free text: Terms keep ``{"ko", "en"}`` with either left out; the variable keeps the languages
  given, so a contract in a language the parties did not write names that text as missing;
- amounts the Terms may leave out because they are zero (a licence without an upfront fee,
  royalty or minimum; a free PoC) become an explicit zero, so the contract says so.

Parties come from the organisations' profiles (name, address, representative, registration
number). Everything else a contract needs and the Terms do not carry (dates, a court, ...) is
left out: validation then names it and the parties or staff fill it in on the draft. Values that
come from the Terms are *locked* (`locked_names`): the contract may not say something other
than what the parties agreed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..deals.models import Deal
from ..deals.states import DealType, Side
from ..deals.terms import texts

#: Contract template per deal type.
TEMPLATE_FOR = {
    DealType.license: "license",
    DealType.transfer: "transfer",
    DealType.joint_development: "joint_development",
    DealType.poc: "poc",
    DealType.supply: "supply",
    DealType.investment: "investment",
    DealType.acquisition: "investment",
}
NDA_TEMPLATE = "nda"

#: Template party field per deal side, by template key.
PARTIES = {
    "license": {Side.seller: "licensor", Side.buyer: "licensee"},
    "transfer": {Side.seller: "assignor", Side.buyer: "assignee"},
    "joint_development": {Side.buyer: "party_a", Side.seller: "party_b"},
    "poc": {Side.buyer: "client", Side.seller: "provider"},
    "supply": {Side.buyer: "buyer", Side.seller: "supplier"},
    "investment": {Side.buyer: "investor", Side.seller: "company"},
    "nda": {Side.seller: "discloser", Side.buyer: "recipient"},
}

SUBLICENSING = {True: "allowed", False: "prohibited"}
RESULTS_OWNER = {"buyer": "party_a", "seller": "party_b", "joint": "joint"}

#: Defaults the platform proposes (editable on the draft): disputes go to a Korean court.
DEFAULT_COURT = {"ko": "서울중앙지방법원", "en": "Seoul Central District Court"}
#: What the deals module's NDA step states (`deals.services.nda_parameters`).
NDA_TERM_YEARS = 3


def template_key_for(deal_type, purpose: str = "contract") -> str:
    """The contract template for a deal type (``purpose="nda"`` for the NDA step)."""
    if purpose == "nda":
        return NDA_TEMPLATE
    return TEMPLATE_FOR[DealType(deal_type)]


def party_field(template_key: str, side: Side) -> str:
    return PARTIES[template_key][Side(side)]


def side_of_party(template_key: str, party: str) -> Side | None:
    for side, name in PARTIES[template_key].items():
        if name == party:
            return side
    return None


def money(amount: int | None, currency: str) -> dict | None:
    if amount is None:
        return None
    return {"amount": int(amount), "currency": currency}


def bilingual(ko: str | None, en: str | None) -> str | dict | None:
    """``{"ko", "en"}`` when both exist and differ, else the one there is."""
    ko, en = (ko or "").strip() or None, (en or "").strip() or None
    if ko and en and ko != en:
        return {"ko": ko, "en": en}
    return ko or en


def format_brn(number: str | None) -> str | None:
    """A Korean business registration number as written on documents: 123-45-67890."""
    if not number:
        return None
    digits = "".join(ch for ch in number if "0" <= ch <= "9")  # not "²" or "①"
    if len(digits) == 10:
        return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"
    return number


def party(org, representative: str | None = None) -> dict:
    """A template ``party`` value from an organisation; unknown keys stay out (and get named).

    The address and representative come from the organisation's profile, in both languages
    when it has both; without a representative there, `representative` (the person who spoke
    for the side) stands in. A party can still change them on the draft.
    """
    value = {
        "name": bilingual(org.name_ko, org.name_en),
        "representative": bilingual(org.representative_ko, org.representative_en)
        or (representative or "").strip() or None,
        "address": bilingual(org.address_ko, org.address_en),
        "registration_no": format_brn(org.business_registration_no),
    }
    return {key: item for key, item in value.items() if item}


def term_text(value) -> dict[str, str] | None:
    """A free-text term as a contract variable: its text per language, only those written."""
    return texts(value) or None


def _terms_values(template_key: str, fields: dict, deal: Deal) -> dict[str, Any]:
    """The variables that come from the agreed Terms (and the deal's listing), by template."""
    currency = fields.get("currency", "KRW")
    technology = bilingual(deal.offering.title_ko, deal.offering.title_en) \
        if deal.offering is not None else None
    conditions = term_text(fields.get("conditions"))
    out: dict[str, Any] = {}
    if template_key == "license":
        out = {
            "technology": technology,
            "field_of_use": term_text(fields.get("field_of_use")),
            "territory": term_text(fields.get("territory")),
            "exclusivity": fields.get("exclusivity"),
            "term_months": fields.get("term_months"),
            "upfront_fee": money(fields.get("upfront_fee") or 0, currency),
            "royalty_percent": fields.get("royalty_percent") or 0,
            "minimum_royalty": money(fields.get("minimum_royalty") or 0, currency),
            "sublicensing": SUBLICENSING.get(fields["sublicensing"])
            if "sublicensing" in fields else None,
            "improvements_owner": fields.get("improvements_owner"),
        }
    elif template_key == "transfer":
        schedule = fields.get("payment_schedule")
        out = {
            "technology": technology,
            "price": money(fields.get("price"), currency),
            "payment_schedule": [
                {"amount": money(item["amount"], currency), "due": item["due"]}
                for item in schedule
            ] if schedule else None,
        }
    elif template_key == "joint_development":
        out = {
            "project": technology,
            "scope": term_text(fields.get("scope")),
            "cost_share_percent": fields.get("cost_share_percent"),
            "results_owner": RESULTS_OWNER.get(fields.get("results_owner")),
        }
    elif template_key == "poc":
        out = {
            "scope": term_text(fields.get("scope")),
            "duration_days": fields.get("duration_days"),
            "fee": money(fields.get("fee") or 0, currency),
            "success_criteria": term_text(fields.get("success_criteria")),
        }
    elif template_key == "supply":
        out = {
            "product": technology,
            "quantity": fields.get("quantity"),
            "unit_price": money(fields.get("unit_price"), currency),
            "delivery": term_text(fields.get("delivery")),
        }
    elif template_key == "investment":
        out = {
            "amount": money(fields.get("amount"), currency),
            "instrument": fields.get("instrument"),
            "pre_money_valuation": money(fields.get("pre_money_valuation"), currency),
            "stake_percent": fields.get("stake_percent"),
        }
    if template_key in VAT_TEMPLATES:
        out["vat"] = fields.get("vat")  # left out for Terms agreed before VAT was set on them
    out["conditions"] = conditions
    return out


#: Templates whose price clause says how VAT applies to the amounts (from version 2 on).
VAT_TEMPLATES = ("license", "transfer", "poc", "supply")


#: Variables each template takes from the Terms or the listing: locked on the draft.
FROM_TERMS = {
    "license": ("technology", "field_of_use", "territory", "exclusivity", "term_months",
                "upfront_fee", "royalty_percent", "minimum_royalty", "sublicensing",
                "improvements_owner", "vat", "conditions"),
    "transfer": ("technology", "price", "payment_schedule", "vat", "conditions"),
    "joint_development": ("project", "scope", "cost_share_percent", "results_owner",
                          "conditions"),
    "poc": ("scope", "duration_days", "fee", "success_criteria", "vat", "conditions"),
    "supply": ("product", "quantity", "unit_price", "delivery", "vat", "conditions"),
    "investment": ("amount", "instrument", "pre_money_valuation", "stake_percent",
                   "conditions"),
    "nda": ("technical_data",),
}


#: Variables holding a free-text term under the same name: the draft may add the translation
#: of a term agreed in one language only (`agreements.drafting.editable_paths`).
TEXT_FROM_TERMS = ("field_of_use", "territory", "scope", "success_criteria", "delivery",
                   "conditions")


def untranslated(name: str, terms_fields: dict) -> list[str]:
    """The languages the agreed free-text term `name` was written without (none if the Terms
    do not have it)."""
    if name not in TEXT_FROM_TERMS or name not in terms_fields:
        return []
    given = texts(terms_fields[name])
    return [lang for lang in ("ko", "en") if lang not in given]


def locked_names(template_key: str, variables: dict[str, Any]) -> list[str]:
    """Which of `variables` came from the Terms and the organisations: the draft shows them but
    does not let anyone change them (party names included, as ``<party>.name``).

    A Terms value the parties left out (say a licence's sublicensing) is not locked: with the
    deal agreed there is no going back to negotiation, so it is settled on the draft.
    """
    names = [name for name in FROM_TERMS[template_key] if name in variables]
    names += [f"{p}.name" for p in PARTIES[template_key].values()
              if isinstance(variables.get(p), dict) and variables[p].get("name")]
    return sorted(names)


#: Deal events that show who speaks for a side, most telling first.
_SPOKESPERSON_EVENTS = ("accept_terms", "propose_terms", "accept_inquiry", "confirm_nda", "open")


def signatory_names(deal: Deal) -> dict[Side, str | None]:
    """Per side, the person who spoke for it in the negotiation: whoever last accepted or
    proposed the Terms for that side, else whoever answered or opened the deal for it."""
    names: dict[Side, str | None] = {Side.buyer: None, Side.seller: None}
    for kind in reversed(_SPOKESPERSON_EVENTS):
        for event in deal.events:
            if event.kind != kind or event.actor is None:
                continue
            if event.organisation_id == deal.buyer_org_id:
                names[Side.buyer] = event.actor.display_name
            elif event.organisation_id == deal.seller_org_id:
                names[Side.seller] = event.actor.display_name
    return names


def contract_variables(deal: Deal, terms_fields: dict | None = None,
                       representatives: dict[Side, str | None] | None = None,
                       template_key: str | None = None) -> dict[str, Any]:
    """Variables for the deal's contract from its agreed Terms (default: the current version).

    Unknown values are left out, never blank: `ContractTemplate.validate` names them.
    """
    key = template_key or template_key_for(deal.deal_type)
    if terms_fields is None:
        terms = deal.current_terms
        terms_fields = dict(terms.fields) if terms is not None else {}
    reps = representatives if representatives is not None else signatory_names(deal)
    values = _terms_values(key, terms_fields, deal)
    for side in (Side.buyer, Side.seller):
        values[party_field(key, side)] = party(deal.org_of(side), reps.get(side))
    values.update({"dispute_resolution": "court", "court": dict(DEFAULT_COURT)})
    return {name: value for name, value in values.items() if value not in (None, "", [])}


#: What the NDA step's purpose calls each kind of deal: (Korean, English).
NDA_DEAL_KINDS = {
    DealType.license: ("기술실시(라이선스)", "a technology licence"),
    DealType.transfer: ("기술양도", "a technology transfer"),
    DealType.joint_development: ("공동기술개발", "a joint development"),
    DealType.poc: ("기술검증(PoC)", "a proof of concept"),
    DealType.supply: ("물품공급", "a supply"),
    DealType.investment: ("투자", "an investment"),
    DealType.acquisition: ("인수", "an acquisition"),
}


def nda_party(org, representative: str | None = None) -> dict:
    """`party` for the NDA: an organisation registered abroad has no Korean business
    registration number, so the NDA says so with a dash instead of waiting for one."""
    value = party(org, representative)
    if "registration_no" not in value and (org.country or "KR") != "KR":
        value["registration_no"] = "—"
    return value


def nda_variables(deal: Deal, representatives: dict[Side, str | None] | None = None,
                  effective_date: dt.date | None = None) -> dict[str, Any]:
    """Variables for the ``nda`` template at the NDA step: the seller discloses what its
    offering's confidential section and the deal's confidential files hold, for the deal's
    purpose; the use period, survival and return follow the template's sample defaults."""
    reps = representatives if representatives is not None else signatory_names(deal)
    offering = deal.offering
    title_ko = (offering.title_ko or offering.title_en) if offering is not None else None
    title_en = (offering.title_en or offering.title_ko) if offering is not None else None
    kind_ko, kind_en = NDA_DEAL_KINDS[DealType(deal.deal_type)]
    values = {
        "discloser": nda_party(deal.seller, reps.get(Side.seller)),
        "recipient": nda_party(deal.buyer, reps.get(Side.buyer)),
        "purpose": {
            "ko": f"「{title_ko}」에 관한 {kind_ko} 거래를 검토하고 협상하기 위함",
            "en": f"evaluating and negotiating {kind_en} concerning “{title_en}”",
        },
        "technical_data": {
            "ko": f"「{title_ko}」의 비공개 기술정보와 본 거래에서 갑이 비밀로 표시하여 제공하는 "
                  "자료(첨부 파일 포함)",
            "en": f"the confidential technical information on “{title_en}” and the material "
                  "the Disclosing Party marks as confidential in the deal, attached files "
                  "included",
        },
        "use_period_months": 12,
        "authorized_persons": {
            "ko": "을의 임직원 중 본 거래의 검토와 협상에 참여하는 자",
            "en": "the Receiving Party's officers and employees taking part in evaluating "
                  "and negotiating the deal",
        },
        "confidentiality_years": NDA_TERM_YEARS,
        "return_method": "either",
        "return_days": 30,
        "effective_date": effective_date.isoformat() if effective_date else None,
        "dispute_resolution": "court",
        "court": dict(DEFAULT_COURT),
    }
    return {name: value for name, value in values.items() if value not in (None, "", [])}
