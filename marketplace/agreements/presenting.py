"""How a draft's values read on the contract page in each language: the details table and the
before and after of each change in the log."""

from __future__ import annotations

import json

from ..documents.fields import (
    format_date_value,
    format_money,
    format_number,
    format_percent_value,
    localise,
)


def display_value(spec, value, lang: str) -> str:
    """A variable as the contract shows it in `lang` (for the draft's details table)."""
    if value in (None, "", []):
        return "—"
    if spec.type == "money":
        return format_money(value, lang)
    if spec.type == "date":
        return format_date_value(value, lang)
    if spec.type == "percent":
        return format_percent_value(value, lang)
    if spec.type == "integer":
        return format_number(value, lang)
    if spec.type == "enum":
        return spec.labels.get(lang, {}).get(value, value)
    if spec.type == "schedule":
        return "; ".join(f"{format_date_value(i['due'], lang)}: {format_money(i['amount'], lang)}"
                         for i in value)
    if spec.type == "party":
        local = localise(value, lang)
        return " · ".join(str(local[k]) for k in ("name", "representative", "address",
                                                  "registration_no") if local.get(k))
    return str(localise(value, lang))


def _stored_value(text: str):
    """An edit's before/after as stored (`drafting.as_text`): JSON unless it was a string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def edit_value(template, path: str, text: str | None, lang: str) -> str:
    """A draft value from the change log as the contract shows it in `lang`."""
    if text is None:
        return "—"
    head, _, key = path.partition(".")
    spec = template.fields.get(head)
    value = _stored_value(text)
    if spec is None or (spec.type in ("string", "text", "date", "enum") and
                        not isinstance(value, str | dict)):
        value = text  # a string that happens to read as JSON, e.g. "12"
    if key:
        return str(localise(value, lang))
    try:
        return display_value(spec, value, lang)
    except (KeyError, TypeError, ValueError):
        return str(localise(value, lang))
