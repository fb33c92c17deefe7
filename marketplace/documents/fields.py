"""Variable types a contract template may declare, how each is checked and formatted.

Values arrive as a plain, JSON-shaped dict (that is what gets embedded in the PDF):

- ``string`` / ``text``: a string, or ``{"ko": ..., "en": ...}`` when the two language versions
  differ (a bilingual document shows each column in its own language). Such a dict may lack a
  language; a document in that language then names the text as missing (``name.en``).
- ``date``: ISO ``YYYY-MM-DD`` (a ``datetime.date`` is accepted and stored as ISO).
- ``money``: ``{"amount": <int minor units>, "currency": "KRW"}`` -- never a float; KRW has no
  minor unit, USD has cents (precision from Babel's currency data).
- ``percent``: a number or decimal string between 0 and 100.
- ``integer``: an int, optionally bounded by ``min`` / ``max`` in the metadata.
- ``enum``: one of ``values``; ``labels`` give the wording per language.
- ``schedule``: a list of ``{"amount": money, "due": date, "milestone": string?}``.
- ``party``: ``{"name", "representative", "address", "registration_no"}``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.core import Locale
from babel.dates import format_date
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_precision,
    list_currencies,
)

from .errors import TemplateInvalid

LANGUAGES = ("ko", "en")
LOCALES = {"ko": Locale.parse("ko_KR"), "en": Locale.parse("en_US")}

FIELD_TYPES = ("string", "text", "date", "money", "percent", "integer", "enum", "schedule", "party")
PARTY_KEYS = ("name", "representative", "address", "registration_no")
LOCALISABLE_PARTY_KEYS = ("name", "representative", "address")
_CURRENCIES = frozenset(list_currencies())


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    required: bool = True
    label: dict[str, str] = field(default_factory=dict)
    values: tuple[str, ...] = ()
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    min: int | None = None
    max: int | None = None

    @classmethod
    def from_metadata(cls, name: str, raw: dict) -> FieldSpec:
        kind = raw.get("type")
        if kind not in FIELD_TYPES:
            raise TemplateInvalid("unknown field type", {name: repr(kind)})
        values = tuple(raw.get("values", ()))
        if kind == "enum":
            if not values:
                raise TemplateInvalid("enum without values", {name: "needs values"})
            for lang in LANGUAGES:
                missing = set(values) - set(raw.get("labels", {}).get(lang, {}))
                if missing:
                    raise TemplateInvalid(
                        "enum labels missing", {name: f"{lang}: {', '.join(sorted(missing))}"}
                    )
        return cls(
            name=name,
            type=kind,
            required=bool(raw.get("required", True)),
            label=dict(raw.get("label", {})),
            values=values,
            labels={k: dict(v) for k, v in raw.get("labels", {}).items()},
            min=raw.get("min"),
            max=raw.get("max"),
        )

    def check(self, value: Any, path: str, errors: dict[str, str]) -> Any:
        """Return the value in its stored (JSON) form, or record why it is wrong under `path`."""
        checker = _CHECKERS[self.type]
        return checker(self, value, path, errors)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_keys(
    value: dict,
    path: str,
    errors: dict[str, str],
    required: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
) -> None:
    """Name every missing and every unknown key of a nested value by its dotted path."""
    for key in required:
        if key not in value:
            errors[f"{path}.{key}"] = "required"
    for key in sorted(set(value) - set(required) - set(optional), key=str):
        errors[f"{path}.{key}"] = "unknown key"


def _check_localised(value: Any, path: str, errors: dict[str, str]) -> Any:
    if isinstance(value, str):
        if not value.strip():
            errors[path] = "must not be empty"
        return value
    if isinstance(value, dict):
        if set(value) - set(LANGUAGES) or not value:
            errors[path] = 'must be a string or {"ko": ..., "en": ...}'
            return value
        for lang, text in value.items():
            if not isinstance(text, str) or not text.strip():
                errors[f"{path}.{lang}"] = "must be a non-empty string"
        return dict(value)
    errors[path] = f"expected text, got {type(value).__name__}"
    return value


def _check_string(spec: FieldSpec, value: Any, path: str, errors: dict[str, str]) -> Any:
    return _check_localised(value, path, errors)


def _check_date(spec: FieldSpec | None, value: Any, path: str, errors: dict[str, str]) -> Any:
    if isinstance(value, dt.datetime):
        errors[path] = "expected a date, got a date and time"
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    errors[path] = "expected a date as YYYY-MM-DD"
    return value


def _check_money(spec: FieldSpec | None, value: Any, path: str, errors: dict[str, str]) -> Any:
    if not isinstance(value, dict):
        errors[path] = 'expected {"amount": <int minor units>, "currency": "<ISO code>"}'
        return value
    _check_keys(value, path, errors, required=("amount", "currency"))
    if not {"amount", "currency"} <= set(value):
        return value
    amount, currency = value["amount"], value["currency"]
    if not _is_int(amount):
        errors[f"{path}.amount"] = f"expected integer minor units, got {type(amount).__name__}"
    elif amount < 0:
        errors[f"{path}.amount"] = "must not be negative"
    if not isinstance(currency, str) or currency not in _CURRENCIES:
        errors[f"{path}.currency"] = f"unknown currency {currency!r}"
    return {"amount": amount, "currency": currency}


def _check_percent(spec: FieldSpec, value: Any, path: str, errors: dict[str, str]) -> Any:
    number = to_decimal(value)
    if number is None:
        errors[path] = "expected a number between 0 and 100"
        return value
    if not Decimal(0) <= number <= Decimal(100):
        errors[path] = "must be between 0 and 100"
    return str(value) if isinstance(value, Decimal) else value


def _check_integer(spec: FieldSpec, value: Any, path: str, errors: dict[str, str]) -> Any:
    if not _is_int(value):
        errors[path] = f"expected an integer, got {type(value).__name__}"
    elif spec.min is not None and value < spec.min:
        errors[path] = f"must be at least {spec.min}"
    elif spec.max is not None and value > spec.max:
        errors[path] = f"must be at most {spec.max}"
    return value


def _check_enum(spec: FieldSpec, value: Any, path: str, errors: dict[str, str]) -> Any:
    if value not in spec.values:
        errors[path] = f"must be one of {', '.join(spec.values)}"
    return value


def _check_schedule(spec: FieldSpec, value: Any, path: str, errors: dict[str, str]) -> Any:
    if not isinstance(value, list) or not value:
        errors[path] = "expected a non-empty list of {amount, due}"
        return value
    items = []
    for index, item in enumerate(value):
        where = f"{path}[{index}]"
        if not isinstance(item, dict):
            errors[where] = "expected {amount, due}"
            continue
        _check_keys(item, where, errors, required=("amount", "due"), optional=("milestone",))
        clean = {}
        if "amount" in item:
            clean["amount"] = _check_money(None, item["amount"], f"{where}.amount", errors)
        if "due" in item:
            clean["due"] = _check_date(None, item["due"], f"{where}.due", errors)
        if "milestone" in item:
            clean["milestone"] = _check_localised(item["milestone"], f"{where}.milestone", errors)
        items.append(clean)
    return items


def _check_party(spec: FieldSpec, value: Any, path: str, errors: dict[str, str]) -> Any:
    if not isinstance(value, dict):
        errors[path] = f"expected a party {{{', '.join(PARTY_KEYS)}}}"
        return value
    _check_keys(value, path, errors, optional=PARTY_KEYS)
    clean = {}
    for key in PARTY_KEYS:
        if key not in value or value[key] in (None, ""):
            errors[f"{path}.{key}"] = "required"
        elif key in LOCALISABLE_PARTY_KEYS:
            clean[key] = _check_localised(value[key], f"{path}.{key}", errors)
        elif not isinstance(value[key], str):
            errors[f"{path}.{key}"] = "expected a string"
        else:
            clean[key] = value[key]
    return clean


_CHECKERS = {
    "string": _check_string,
    "text": _check_string,
    "date": _check_date,
    "money": _check_money,
    "percent": _check_percent,
    "integer": _check_integer,
    "enum": _check_enum,
    "schedule": _check_schedule,
    "party": _check_party,
}


# ---------------------------------------------------------------------------------------------
# Formatting, per language (Babel; no float ever touches an amount)


def to_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def minor_to_major(amount_minor: int, currency: str) -> Decimal:
    return Decimal(int(amount_minor)).scaleb(-get_currency_precision(currency))


def format_money(value: dict, lang: str) -> str:
    major = minor_to_major(value["amount"], value["currency"])
    return format_currency(major, value["currency"], locale=LOCALES[lang])


def multiply_money(value: dict, factor: int) -> dict:
    return {"amount": int(value["amount"]) * int(factor), "currency": value["currency"]}


def format_date_value(value: str | dt.date, lang: str) -> str:
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    return format_date(day, format="long", locale=LOCALES[lang])


def format_percent_value(value: Any, lang: str) -> str:
    return format_decimal(to_decimal(value), format="#,##0.###", locale=LOCALES[lang]) + "%"


def format_number(value: Any, lang: str) -> str:
    return format_decimal(to_decimal(value), locale=LOCALES[lang])


def localise(value: Any, lang: str) -> Any:
    """Pick one language out of bilingual values, recursively (Korean is the fallback)."""
    if isinstance(value, dict):
        if (
            value
            and set(value) <= set(LANGUAGES)
            and all(isinstance(v, str) for v in value.values())
        ):
            return value.get(lang) or value.get("ko") or value.get("en")
        return {key: localise(item, lang) for key, item in value.items()}
    if isinstance(value, list):
        return [localise(item, lang) for item in value]
    return value


def missing_languages(spec: FieldSpec, value: Any, langs: tuple[str, ...]) -> list[str]:
    """Paths of the texts of a checked value that a document in `langs` needs and lacks: a
    ``{"ko": ...}`` text in an English document, say (``name.en``, ``party.address.en``)."""
    def lacking(text: Any, path: str) -> list[str]:
        if not isinstance(text, dict):
            return []
        return [f"{path}.{lang}" for lang in langs if not text.get(lang)]

    if spec.type in ("string", "text"):
        return lacking(value, spec.name)
    if spec.type == "party" and isinstance(value, dict):
        return [path for key in LOCALISABLE_PARTY_KEYS
                for path in lacking(value.get(key), f"{spec.name}.{key}")]
    return []
