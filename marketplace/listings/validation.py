"""The rules a listing's fields follow, shared by the pages and the JSON API: plain data in,
validated column values or a DomainError with a message per field out. No database."""

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..clock import utcnow
from ..errors import DomainError
from ..i18n.formatting import parse_integer
from .vocabulary import CURRENCIES, DEAL_TYPES, SECTORS, SNAPSHOT_FIELDS, IPStatus, ListingKind

LENGTHS = {"title": 200, "summary": 300, "description": 10_000}
MAX_TEXT = 5_000
MAX_CONFIDENTIAL = 10_000
MAX_KEYWORDS = 12
MAX_KEYWORD_LENGTH = 40
MAX_PATENTS = 20
MAX_PRICE = 10**15
PATENT_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/\-., ]{3,38}[A-Za-z0-9]$")

FIELD_REQUIRED = _l("This field is required.")
INVALID_CHOICE = _l("Not a valid choice.")


# -- cleaning single values ---------------------------------------------------------------------


class FieldErrors(dict):
    def add(self, field: str, message) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise DomainError(_l("Please correct the marked fields."), dict(self))


def clean_text(value) -> str | None:
    if value is None:
        return None
    value = str(value).replace("\r\n", "\n").strip()
    return value or None


def clean_int(value, field: str, errors: FieldErrors) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors.add(field, _l("Enter a whole number."))
        return None
    try:
        return parse_integer(value) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        errors.add(field, _l("Enter a whole number."))
        return None


def string_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = re.split(r"[,\n;]", value)
    return list(dict.fromkeys(s for s in (str(v).strip() for v in value) if s))


def local_timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def end_of_day(day: date) -> datetime:
    """A deadline given as a day lasts until 23:59:59 of that day in the platform's timezone."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=local_timezone()).astimezone(UTC)


def parse_deadline(value, field: str, errors: FieldErrors) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=local_timezone())
    if isinstance(value, date):
        return end_of_day(value)
    try:
        if len(str(value)) == 10:
            return end_of_day(date.fromisoformat(str(value)))
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        errors.add(field, _l("Enter a date as YYYY-MM-DD."))
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=local_timezone())


def clean_listing_data(kind: ListingKind, data: dict, current: dict | None = None) -> dict:
    """Validated column values for a listing of `kind`, from `data` laid over `current` (the
    listing's present values when editing). Raises DomainError with per-field messages."""
    kind = ListingKind(kind)
    merged = dict(current or {})
    unknown = set(data) - set(SNAPSHOT_FIELDS)
    if unknown:
        raise DomainError(_l("Unknown fields: %(names)s", names=", ".join(sorted(unknown))),
                          {name: [_l("Unknown field.")] for name in sorted(unknown)})
    merged.update(data)
    errors = FieldErrors()
    out: dict = {}

    for lang in ("ko", "en"):
        for field, limit in LENGTHS.items():
            name = f"{field}_{lang}"
            value = clean_text(merged.get(name))
            if value and field != "description" and "\n" in value:
                errors.add(name, _l("Use a single line."))
            if value and len(value) > limit:
                errors.add(name, _l("Use at most %(n)d characters.", n=limit))
            out[name] = value
    complete = []
    for lang, label in (("ko", _l("Korean")), ("en", _l("English"))):
        filled = [f for f in LENGTHS if out[f"{f}_{lang}"]]
        if len(filled) == len(LENGTHS):
            complete.append(lang)
        elif filled:
            for f in LENGTHS:
                if not out[f"{f}_{lang}"]:
                    errors.add(f"{f}_{lang}", _l("Complete the %(language)s version or leave "
                                                 "it empty.", language=label))
    if not complete and not any(out[f"{f}_{lang}"] for f in LENGTHS for lang in ("ko", "en")):
        for name in ("title_ko", "summary_ko", "description_ko"):
            errors.add(name, _l("Write the title, summary and description in Korean or "
                                "English."))

    sector = clean_text(merged.get("sector"))
    if not sector:
        errors.add("sector", FIELD_REQUIRED)
    elif sector not in SECTORS:
        errors.add("sector", INVALID_CHOICE)
    out["sector"] = sector

    trl_field = "trl" if kind == ListingKind.offering else "min_trl"
    trl = clean_int(merged.get(trl_field), trl_field, errors)
    if trl is None and trl_field not in errors:
        errors.add(trl_field, FIELD_REQUIRED)
    elif trl is not None and not 1 <= trl <= 9:
        errors.add(trl_field, _l("The TRL is a number from 1 to 9."))
    out["trl"] = trl if kind == ListingKind.offering else None
    out["min_trl"] = trl if kind == ListingKind.need else None

    deal_types = string_list(merged.get("deal_types"))
    if not deal_types:
        errors.add("deal_types", _l("Choose at least one deal type."))
    elif any(d not in DEAL_TYPES for d in deal_types):
        errors.add("deal_types", INVALID_CHOICE)
    out["deal_types"] = [d for d in DEAL_TYPES if d in deal_types]

    keywords = string_list(merged.get("keywords"))
    if len(keywords) > MAX_KEYWORDS:
        errors.add("keywords", _l("Use at most %(n)d keywords.", n=MAX_KEYWORDS))
    if any(len(k) > MAX_KEYWORD_LENGTH for k in keywords):
        errors.add("keywords", _l("A keyword has at most %(n)d characters.",
                                  n=MAX_KEYWORD_LENGTH))
    out["keywords"] = keywords

    price_min = clean_int(merged.get("price_min"), "price_min", errors)
    price_max = clean_int(merged.get("price_max"), "price_max", errors)
    currency = clean_text(merged.get("currency"))
    currency = currency.upper() if currency else None
    for name, value in (("price_min", price_min), ("price_max", price_max)):
        if value is not None and not 0 <= value < MAX_PRICE:
            errors.add(name, _l("Enter an amount between 0 and a sensible maximum."))
    if price_min is not None and price_max is not None and price_max < price_min:
        errors.add("price_max", _l("The maximum must not be below the minimum."))
    if price_min is None and price_max is None:
        currency = currency if currency in CURRENCIES else None
    elif not currency:
        errors.add("currency", _l("Choose the currency of the amounts."))
    elif currency not in CURRENCIES:
        errors.add("currency", INVALID_CHOICE)
    out.update(price_min=price_min, price_max=price_max, currency=currency)

    for name in ("evidence", "expected_benefit"):
        value = clean_text(merged.get(name))
        if value and len(value) > MAX_TEXT:
            errors.add(name, _l("Use at most %(n)d characters.", n=MAX_TEXT))
        out[name] = value
    confidential = clean_text(merged.get("confidential_text"))
    if confidential and len(confidential) > MAX_CONFIDENTIAL:
        errors.add("confidential_text", _l("Use at most %(n)d characters.", n=MAX_CONFIDENTIAL))
    out["confidential_text"] = confidential

    if kind == ListingKind.offering:
        _clean_ip(merged, out, errors)
        out["expected_benefit"] = None
        out["deadline"] = None
    else:
        out.update(ip_status=None, patent_applications=[], patent_registrations=[],
                   evidence=None)
        deadline = parse_deadline(merged.get("deadline"), "deadline", errors)
        previous = (current or {}).get("deadline")
        if deadline is not None and deadline <= utcnow() and deadline != previous:
            errors.add("deadline", _l("Choose a date in the future."))
        out["deadline"] = deadline
    errors.raise_if_any()
    return out


def _clean_ip(merged: dict, out: dict, errors: FieldErrors) -> None:
    raw = merged.get("ip_status") or IPStatus.none
    try:
        status = IPStatus(raw)
    except ValueError:
        errors.add("ip_status", INVALID_CHOICE)
        status = IPStatus.none
    out["ip_status"] = status
    for name in ("patent_applications", "patent_registrations"):
        numbers = string_list(merged.get(name))
        if len(numbers) > MAX_PATENTS:
            errors.add(name, _l("Use at most %(n)d numbers.", n=MAX_PATENTS))
        bad = [n for n in numbers if not PATENT_NUMBER.match(n)
               or sum(c.isdigit() for c in n) < 5]
        if bad:
            errors.add(name, _l("Not a patent number: %(numbers)s (e.g. 10-2023-0123456).",
                                numbers=", ".join(bad[:3])))
        out[name] = numbers
    if status == IPStatus.applied and not out["patent_applications"]:
        errors.add("patent_applications", _l("Give the application number."))
    if status == IPStatus.registered and not out["patent_registrations"]:
        errors.add("patent_registrations", _l("Give the registration number."))


def current_values(listing) -> dict:
    """The listing's editable fields as they are stored."""
    return {name: getattr(listing, name) for name in SNAPSHOT_FIELDS}


def check_complete(listing) -> None:
    """Re-validate a stored listing (before publishing)."""
    clean_listing_data(listing.kind, {}, current_values(listing))
