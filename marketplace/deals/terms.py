"""Terms versions (`DealTerms`, one immutable offer each) and the terms fields per deal type:
their validation, display and comparison.

Terms travel in the API's shape: money as integers in minor units of `currency`, percentages as
numbers with at most two decimals, dates as `YYYY-MM-DD`, free text as ``{"ko": ..., "en": ...}``
(either language may be left out; a plain string is taken in the language it is written in).
`validate_terms` returns a clean dict (only known fields, normalised values) or raises a
DomainError whose `fields` say what is wrong with each field, translated.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..accounts.models import Organisation, User
from ..clock import utcnow
from ..db_types import AwareDateTime, enum_column
from ..errors import Conflict, DomainError
from ..extensions import db
from ..i18n.converted import money_with_approximate
from ..i18n.dates import show_date
from ..i18n.formatting import money, parse_integer
from .events import digest, refuse_change
from .states import DealType, Side


class DealTerms(db.Model):
    """One immutable terms version: an offer or a counter-offer."""

    __tablename__ = "deal_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id", ondelete="CASCADE"),
                                         index=True)
    version: Mapped[int]
    based_on_version: Mapped[int | None]
    author_side: Mapped[Side] = mapped_column(enum_column(Side, 10))
    author_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id",
                                                             ondelete="RESTRICT"))
    author_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    currency: Mapped[str] = mapped_column(sa.String(3))
    fields: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    deal = relationship("Deal", back_populates="terms_versions")
    author_org: Mapped[Organisation] = relationship()
    author_user: Mapped[User] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("deal_id", "version", name="uq_deal_terms_deal_id_version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    @property
    def digest(self) -> str:
        return digest({"deal_id": self.deal_id, "version": self.version, "fields": self.fields})


append_only.refuse_orm_changes(refuse_change, DealTerms)


def stale_version(current: int | None) -> Conflict:
    if current is None:
        return Conflict(_l("The terms changed while you were answering. Reload the deal and "
                           "look at the latest version."), {"based_on_version": [
                               _l("This is no longer the latest version.")]})
    return Conflict(_l("The terms changed while you were answering: the latest version is "
                       "now %(version)s. Reload the deal and look at it first.", version=current),
                    {"based_on_version": [_l("This is no longer the latest version.")]})


CURRENCIES = ("KRW", "USD")
#: The largest amount a terms field, and any payment derived from the terms (a supply total,
#: the sum of a schedule), may come to. Payments keep amounts and fees in BIGINT columns; this
#: bound keeps every one of them, and their sums, well inside.
MAX_MONEY = 10**15
MAX_TEXT = 5000
MAX_SCHEDULE = 36
TEXT_LANGUAGES = ("ko", "en")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")

EXCLUSIVITY = {"exclusive": _l("Exclusive"), "non_exclusive": _l("Non-exclusive")}
INSTRUMENTS = {
    "common": _l("Common shares"),
    "rcps": _l("Redeemable convertible preferred shares (RCPS)"),
    "cps": _l("Convertible preferred shares (CPS)"),
    "cb": _l("Convertible bond (CB)"),
    "safe": _l("SAFE"),
}
IMPROVEMENTS_OWNERS = {"licensor": _l("Licensor"), "licensee": _l("Licensee"),
                       "joint": _l("Jointly owned")}
RESULTS_OWNERS = {"buyer": _l("Buyer"), "seller": _l("Seller"), "joint": _l("Jointly owned")}


@dataclass(frozen=True)
class TermField:
    name: str
    kind: str  # money | percent | integer | text | choice | bool | schedule | currency
    label: object
    required: bool = False
    choices: dict | None = None
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None


CURRENCY = TermField("currency", "currency", _l("Currency"), required=True)
CONDITIONS = TermField("conditions", "text", _l("Other conditions"))
SCHEDULE = TermField("payment_schedule", "schedule", _l("Payment schedule"))
#: How VAT applies to the amounts, which exclude it: 10% on a domestic supply, 0% (zero-rated)
#: on a supply to a buyer abroad. Payment requests add it to each amount.
VAT_TREATMENTS = {"standard": _l("10% VAT added (domestic supply)"),
                  "zero_rated": _l("Zero-rated, 0% VAT (buyer abroad)")}
VAT = TermField("vat", "choice", _l("VAT (amounts exclude VAT)"), choices=VAT_TREATMENTS)


def usual_vat(buyer_country: str | None) -> str:
    """The VAT treatment an offer starts from: 10% when the buyer is in Korea, zero-rated when
    it is abroad (the parties may still choose otherwise)."""
    return "standard" if (buyer_country or "KR").upper() == "KR" else "zero_rated"

TYPE_FIELDS: dict[DealType, tuple[TermField, ...]] = {
    DealType.license: (
        TermField("upfront_fee", "money", _l("Upfront fee"), minimum=0),
        TermField("royalty_percent", "percent", _l("Royalty (%)"), minimum=Decimal(0),
                  maximum=Decimal(100)),
        TermField("minimum_royalty", "money", _l("Minimum annual royalty"), minimum=0),
        TermField("field_of_use", "text", _l("Field of use"), required=True),
        TermField("territory", "text", _l("Territory"), required=True),
        TermField("exclusivity", "choice", _l("Exclusivity"), required=True,
                  choices=EXCLUSIVITY),
        TermField("term_months", "integer", _l("Term (months)"), required=True, minimum=1,
                  maximum=600),
        TermField("sublicensing", "bool", _l("Sublicensing allowed")),
        TermField("improvements_owner", "choice", _l("Owner of improvements"),
                  choices=IMPROVEMENTS_OWNERS),
    ),
    DealType.transfer: (
        TermField("price", "money", _l("Price"), required=True, minimum=1),
    ),
    DealType.joint_development: (
        TermField("scope", "text", _l("Scope"), required=True),
        TermField("cost_share_percent", "percent", _l("Buyer's share of the costs (%)"),
                  required=True, minimum=Decimal(0), maximum=Decimal(100)),
        TermField("results_owner", "choice", _l("Owner of the results"), required=True,
                  choices=RESULTS_OWNERS),
    ),
    DealType.poc: (
        TermField("scope", "text", _l("Scope"), required=True),
        TermField("duration_days", "integer", _l("Duration (days)"), required=True, minimum=1,
                  maximum=3650),
        TermField("fee", "money", _l("Fee"), minimum=0),
        TermField("success_criteria", "text", _l("Success criteria"), required=True),
    ),
    DealType.supply: (
        TermField("quantity", "integer", _l("Quantity"), required=True, minimum=1,
                  maximum=10**9),
        TermField("unit_price", "money", _l("Unit price"), required=True, minimum=1),
        TermField("delivery", "text", _l("Delivery"), required=True),
    ),
}
_INVESTMENT = (
    TermField("amount", "money", _l("Amount"), required=True, minimum=1),
    TermField("instrument", "choice", _l("Instrument"), required=True, choices=INSTRUMENTS),
    TermField("pre_money_valuation", "money", _l("Pre-money valuation"), minimum=1),
    TermField("stake_percent", "percent", _l("Stake (%)"), required=True,
              minimum=Decimal("0.01"), maximum=Decimal(100)),
)
TYPE_FIELDS[DealType.investment] = _INVESTMENT
TYPE_FIELDS[DealType.acquisition] = _INVESTMENT


def fields_for(deal_type) -> tuple[TermField, ...]:
    """Every field of a deal type, in display order: currency first, common ones last."""
    return (CURRENCY, *TYPE_FIELDS[DealType(deal_type)], VAT, SCHEDULE, CONDITIONS)


# ---- validation ---------------------------------------------------------------------------

REQUIRED = _l("This field is required.")


class AmountOutOfRange(DomainError):
    """Terms asking for more money than a deal can carry through to its payments."""

    status = 422
    code = "out_of_range"


class _Invalid(Exception):
    def __init__(self, message, out_of_range: bool = False):
        self.message = message
        self.out_of_range = out_of_range


def _integer(value, spec: TermField) -> int:
    if isinstance(value, bool) or value is None:
        raise _Invalid(_l("Enter a whole number."))
    if isinstance(value, str):
        try:
            value = parse_integer(value)
        except ValueError:
            raise _Invalid(_l("Enter a whole number.")) from None
    if not isinstance(value, int):
        raise _Invalid(_l("Enter a whole number."))
    return _in_range(value, spec)


def _in_range(value, spec: TermField):
    if spec.minimum is not None and value < spec.minimum:
        raise _Invalid(_l("Must be at least %(min)s.", min=spec.minimum))
    if spec.maximum is not None and value > spec.maximum:
        raise _Invalid(_l("Must be at most %(max)s.", max=spec.maximum))
    return value


def _money(value, spec: TermField) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _Invalid(_l("Enter an amount in minor units (a whole number)."))
    try:
        amount = _integer(value, TermField(spec.name, "integer", spec.label))
    except _Invalid:
        raise _Invalid(_l("Enter an amount in minor units (a whole number).")) from None
    if amount > MAX_MONEY:
        raise _Invalid(_l("This amount is too large."), out_of_range=True)
    if spec.minimum is not None and amount < spec.minimum:
        raise _Invalid(_l("Enter an amount greater than zero.") if spec.minimum
                       else _l("The amount cannot be negative."))
    return amount


def _percent(value, spec: TermField) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise _Invalid(_l("Enter a percentage, e.g. 3.5."))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _Invalid(_l("Enter a percentage, e.g. 3.5.")) from None
    if not number.is_finite():
        raise _Invalid(_l("Enter a percentage, e.g. 3.5."))
    _in_range(number, spec)  # first: rounding a number of 29 digits or more raises
    if number != number.quantize(Decimal("0.01")):
        raise _Invalid(_l("Use at most two decimal places."))
    return int(number) if number == number.to_integral_value() else float(number)


def text_language(text: str) -> str:
    """The language a plain text is written in: ``ko`` if it has any Hangul, else ``en``."""
    return "ko" if _HANGUL.search(text) else "en"


def texts(value) -> dict[str, str]:
    """A free-text term as ``{lang: text}`` with only the languages given (a plain string, as
    older terms and API clients send it, counts as written in its own language)."""
    if isinstance(value, str):
        return {text_language(value): value} if value.strip() else {}
    if isinstance(value, dict):
        return {lang: value[lang] for lang in TEXT_LANGUAGES
                if isinstance(value.get(lang), str) and value[lang].strip()}
    return {}


def _one_text(value) -> str:
    if not isinstance(value, str):
        raise _Invalid(_l("Enter text."))
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise _Invalid(_l("Use at most %(n)d characters.", n=MAX_TEXT))
    return value


def _text(value, spec: TermField) -> dict[str, str]:
    if isinstance(value, str):
        value = {text_language(value): value}
    if not isinstance(value, dict) or set(value) - set(TEXT_LANGUAGES):
        raise _Invalid(_l("Enter text, or an object with the Korean and English text."))
    clean = {lang: _one_text(value[lang]) for lang in TEXT_LANGUAGES if lang in value}
    return {lang: text for lang, text in clean.items() if text}


def _choice(value, spec: TermField) -> str:
    if value not in spec.choices:
        raise _Invalid(_l("Choose one of the options."))
    return value


def _bool(value, spec: TermField) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(_l("Answer yes or no."))
    return value


def _currency(value, spec: TermField) -> str:
    if value not in CURRENCIES:
        raise _Invalid(_l("Choose a supported currency."))
    return value


def _schedule(value, spec: TermField) -> list[dict]:
    if not isinstance(value, list):
        raise _Invalid(_l("Give a list of payments, each with an amount and a due date."))
    if len(value) > MAX_SCHEDULE:
        raise _Invalid(_l("Use at most %(n)d payments.", n=MAX_SCHEDULE))
    clean = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"amount", "due"}:
            raise _Invalid(_l("Each payment needs exactly an amount and a due date."))
        amount = _money(item["amount"], TermField("amount", "money", "", minimum=1))
        try:
            due = date.fromisoformat(str(item["due"]))
        except ValueError:
            raise _Invalid(_l("Write due dates as YYYY-MM-DD.")) from None
        clean.append({"amount": amount, "due": due.isoformat()})
    return clean


_CHECKS = {"money": _money, "percent": _percent, "integer": _integer, "text": _text,
           "choice": _choice, "bool": _bool, "currency": _currency, "schedule": _schedule}


def _is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def validate_terms(deal_type, data) -> dict:
    """Clean terms for `deal_type`, or a DomainError naming every problem per field
    (`AmountOutOfRange` when the only problem is an amount too large to be paid)."""
    if not isinstance(data, dict):
        raise DomainError(_l("The terms must be an object of fields."))
    specs = {spec.name: spec for spec in fields_for(deal_type)}
    errors: dict[str, list] = {}
    too_large: set[str] = set()
    clean: dict = {}
    for name in data:
        if name not in specs:
            errors[name] = [_l("This field is not part of this kind of deal.")]
    for name, spec in specs.items():
        value = data.get(name)
        if _is_empty(value):
            if spec.required:
                errors[name] = [REQUIRED]
            continue
        try:
            clean[name] = _CHECKS[spec.kind](value, spec)
        except _Invalid as exc:
            errors[name] = [exc.message]
            if exc.out_of_range:
                too_large.add(name)
        if name in clean and _is_empty(clean[name]) and spec.required:
            errors[name] = [REQUIRED]
    if not errors:
        _cross_checks(DealType(deal_type), clean, errors)
    if not errors:
        errors = _derived_amount_errors(DealType(deal_type), clean)
        too_large = set(errors)
    if errors and set(errors) <= too_large:
        raise AmountOutOfRange(_l("Some amounts are larger than one deal can ask for. Check "
                                  "the marked fields."), errors)
    if errors:
        raise DomainError(_l("Some terms are missing or not valid. Check the marked fields."),
                          errors)
    return {name: value for name, value in clean.items() if not _is_empty(value)}


def _cross_checks(deal_type: DealType, clean: dict, errors: dict) -> None:
    if deal_type == DealType.license and not (clean.get("upfront_fee")
                                              or clean.get("royalty_percent")):
        errors["upfront_fee"] = [_l("Give an upfront fee, a royalty, or both.")]
    total = {DealType.transfer: clean.get("price")}.get(deal_type)
    schedule = clean.get("payment_schedule")
    if total and schedule and sum(item["amount"] for item in schedule) != total:
        errors["payment_schedule"] = [_l("The payments must add up to the price.")]


def _derived_amount_errors(deal_type: DealType, clean: dict) -> dict[str, list]:
    """The totals the payments will be made of, each at most MAX_MONEY (the instalments and
    fees are parts of them, each field is checked on its own)."""
    errors = {}
    if deal_type == DealType.supply and clean["quantity"] * clean["unit_price"] > MAX_MONEY:
        message = _l("Quantity × unit price comes to more than %(max)s, the most one deal can "
                     "ask for.", max=money(MAX_MONEY, clean["currency"]))
        errors["quantity"] = errors["unit_price"] = [message]
    schedule = clean.get("payment_schedule") or []
    if sum(item["amount"] for item in schedule) > MAX_MONEY:
        errors["payment_schedule"] = [_l("The payments add up to more than %(max)s, the most "
                                         "one deal can ask for.",
                                         max=money(MAX_MONEY, clean["currency"]))]
    return errors


# ---- display and comparison ---------------------------------------------------------------

def _reader_language() -> str:
    return "en" if str(get_locale() or "ko") == "en" else "ko"


def display_text(value) -> str | Markup:
    """A free-text term in the reader's language, else the other one marked with its `lang`."""
    given = texts(value)
    lang = _reader_language()
    if lang in given:
        return given[lang]
    other = next(iter(given.values()), None)
    if other is None:
        return "—"
    return Markup('<span lang="{}">{}</span>').format(text_language(other), other)


def display_value(spec: TermField, value, currency: str):
    """A field's value as the viewer reads it (money formatted in the active locale)."""
    if _is_empty(value):
        return "—"
    if spec.kind == "money":
        return money_with_approximate(value, currency)
    if spec.kind == "percent":
        return f"{format_decimal(value)}%"
    if spec.kind == "integer":
        return format_decimal(value)
    if spec.kind == "choice":
        return spec.choices.get(value, value)
    if spec.kind == "bool":
        return _l("Yes") if value else _l("No")
    if spec.kind == "schedule":
        return Markup("; ").join(
            Markup("{}: {}").format(show_date(date.fromisoformat(item["due"])),
                                    money_with_approximate(item["amount"], currency))
            for item in value)
    if spec.kind == "text":
        return display_text(value)
    return value


def display_rows(deal_type, fields: dict) -> list[tuple]:
    currency = fields.get("currency", "KRW")
    return [(spec.name, spec.label, display_value(spec, fields.get(spec.name), currency))
            for spec in fields_for(deal_type)]


def compare(deal_type, a: dict, b: dict) -> list[dict]:
    """Rows for a side-by-side view of two versions; `changed` marks differing fields."""
    rows = []
    for spec in fields_for(deal_type):
        left, right = a.get(spec.name), b.get(spec.name)
        if spec.kind == "text":
            left, right = texts(left), texts(right)
        changed = (left if not _is_empty(left) else None) != (right if not _is_empty(right)
                                                              else None)
        if spec.kind == "money" and a.get("currency") != b.get("currency"):
            changed = changed or not (_is_empty(left) and _is_empty(right))
        rows.append({"name": spec.name, "label": spec.label, "changed": changed,
                     "a": display_value(spec, left, a.get("currency", "KRW")),
                     "b": display_value(spec, right, b.get("currency", "KRW"))})
    return rows
