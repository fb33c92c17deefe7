"""What a listing sent to the API must satisfy beyond each field's own rules, stated in the
OpenAPI document as JSON-schema keywords (a schema's `OPENAPI_RULES`) and enforced the same way:
the service enforces the rules of a new listing, `ListingChangeSchema` those of a change."""

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, validates_schema

from ..listings.validation import LENGTHS


def _filled(lang: str) -> dict:
    names = [f"{name}_{lang}" for name in LENGTHS]
    return {"required": names,
            "properties": {n: {"type": "string", "pattern": r"\S"} for n in names}}


def _blank(lang: str) -> dict:
    return {"properties": {f"{name}_{lang}": {"not": {"type": "string", "pattern": r"\S"}}
                           for name in LENGTHS}}


def _patents_for(status: str, field: str) -> dict:
    return {"required": ["ip_status", field], "properties": {
        "ip_status": {"enum": [status]}, field: {"type": "array", "minItems": 1}}}


#: What a new listing needs beyond each field's own rules: title, summary and description in
#: Korean or English (a language is complete or empty), a currency with a price, and the
#: patent numbers its IP status names.
NEW_LISTING_RULES = {"allOf": [
    {"anyOf": [_filled("ko"), _blank("ko")]},
    {"anyOf": [_filled("en"), _blank("en")]},
    {"anyOf": [_filled("ko"), _filled("en")]},
    {"anyOf": [{"properties": {"price_min": {"not": {"type": "integer"}},
                               "price_max": {"not": {"type": "integer"}}}},
               {"required": ["currency"], "properties": {"currency": {"type": "string"}}}]},
]}
NEW_OFFERING_RULES = {"allOf": [*NEW_LISTING_RULES["allOf"], {"anyOf": [
    {"properties": {"ip_status": {"not": {"enum": ["applied", "registered"]}}}},
    _patents_for("applied", "patent_applications"),
    _patents_for("registered", "patent_registrations")]}]}


def _untouched_prices() -> dict:
    return {"not": {"anyOf": [{"required": ["price_min"]}, {"required": ["price_max"]}]}}


def _untouched(lang: str) -> dict:
    return {"not": {"anyOf": [{"required": [f"{name}_{lang}"]} for name in LENGTHS]}}


def _blank_given(lang: str) -> dict:
    return {"required": [f"{name}_{lang}" for name in LENGTHS], **_blank(lang)}


#: A change is laid over the listing as it stands, and must be valid over any listing: a
#: language is changed whole (or emptied while the other is given), both prices are changed
#: together with their currency, and an IP status comes with its patent numbers.
CHANGE_RULES = {"allOf": [
    *({"anyOf": [_untouched(lang), _filled(lang), _blank_given(lang)]} for lang in ("ko", "en")),
    {"anyOf": [{"not": _blank_given("ko")}, _filled("en")]},
    {"anyOf": [{"not": _blank_given("en")}, _filled("ko")]},
    {"anyOf": [
        {**_untouched_prices(), "properties": {"currency": {"type": "string"}}},
        {"required": ["price_min", "price_max"], "properties": {
            "price_min": {"not": {"type": "integer"}},
            "price_max": {"not": {"type": "integer"}}}},
        {"required": ["price_min", "price_max", "currency"], "properties": {
            "price_min": {"type": "integer"}, "price_max": {"type": "integer"},
            "currency": {"type": "string"}}}]},
    NEW_OFFERING_RULES["allOf"][-1],
]}


def _is_filled(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


class ListingChangeSchema(Schema):
    """Enforces CHANGE_RULES, which the document states."""

    OPENAPI_RULES = CHANGE_RULES

    @validates_schema
    def _whole_changes(self, data, **kwargs):
        errors = {}
        given = {lang: [data[f"{n}_{lang}"] for n in LENGTHS if f"{n}_{lang}" in data]
                 for lang in ("ko", "en")}
        for lang, values in given.items():
            whole = len(values) == len(LENGTHS)
            if values and not (whole and len({_is_filled(v) for v in values}) == 1):
                errors[f"title_{lang}"] = [_l("Send the title, summary and description of a "
                                              "language together.")]
        for lang, other in (("ko", "en"), ("en", "ko")):
            emptied = len(given[lang]) == len(LENGTHS) and not any(
                map(_is_filled, given[lang]))
            filled = len(given[other]) == len(LENGTHS) and all(
                map(_is_filled, given[other]))
            if emptied and not filled:
                errors[f"title_{lang}"] = [_l("To remove one language, give the other in the "
                                              "same change.")]
        if not _prices_whole(data):
            errors["price_min"] = [_l("Change both prices together with their currency (or "
                                      "set both to null).")]
        wanted = {"applied": "patent_applications", "registered": "patent_registrations"}
        name = wanted.get(data.get("ip_status"))
        if name and not data.get(name):
            errors[name] = [_l("Give the patent numbers for this IP status.")]
        if errors:
            raise ValidationError(errors)


def _prices_whole(data: dict) -> bool:
    if "price_min" not in data and "price_max" not in data:
        return isinstance(data.get("currency", ""), str)
    if "price_min" not in data or "price_max" not in data:
        return False
    prices = (data["price_min"], data["price_max"])
    return prices == (None, None) or (None not in prices
                                      and isinstance(data.get("currency"), str))
