"""Form helpers shared by every feature."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation

from .errors import DomainError
from .i18n.amounts import AmountError, parse_amount
from .i18n.dates import DateInputError, input_hint, input_text, parse_date
from .i18n.formatting import minor_to_major


def choices(pairs) -> list[SelectChoice]:
    """SelectField choices from (value, label) pairs (WTForms deprecates plain tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


def apply_domain_error(form, exc: DomainError) -> None:
    """Show a domain error's field messages on the form's fields (or as a form-level error)."""
    placed = False
    for name, messages in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + [str(m) for m in messages]
            placed = True
    if not placed:
        form.form_errors.append(str(exc.message))



def show_error(form, page: Callable[[], Any]) -> Callable[[DomainError], Any]:
    """An `on_error` for `actions.run_action`: the error's messages go on the form's fields (or
    above the form), and the answer is `page()`, the form's page again."""
    return show_refusal(form, lambda _status: page())


def show_refusal(form, page: Callable[[int], Any]) -> Callable[[DomainError], Any]:
    """Like `show_error`, for a page that answers with the error's status: `page(exc.status)`."""
    def answer(exc: DomainError):
        apply_domain_error(form, exc)
        return page(exc.status)
    return answer


class AmountField(StringField):
    """An amount typed as people write it ("₩30,000,000", "3천만 원", "$1,250.50"); `data`
    is the text, read by `minor_amounts` against the form's currency. A Decimal put in `data`
    to edit shows with thousands separators."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if isinstance(self.data, Decimal):
            return f"{self.data:,}"
        return self.data or ""


class LocalDateField(StringField):
    """A date typed in the page's way ("2026. 11. 30." on Korean pages, "11/30/2026" on English
    ones; ISO and "20261130" everywhere), with the pattern as its hint. `data` is a date or
    None; the name and what the view gets are as with WTForms' DateField."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def __call__(self, **kwargs):
        kwargs.setdefault("placeholder", input_hint())
        return super().__call__(**kwargs)

    def process_formdata(self, valuelist):
        self.raw_text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if self.raw_text:
            try:
                self.data = parse_date(self.raw_text)
            except DateInputError as exc:
                raise ValueError(str(exc.message)) from None

    def pre_validate(self, form):
        if self.process_errors:  # not a date: that error alone, not "required" as well
            raise StopValidation()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return input_text(self.data) if self.data else ""


def show_amounts(form, obj, names) -> None:
    """Put `obj`'s amounts `names` (minor units of `obj.currency`) in the form's fields of those
    names, as people write them, and its currency in `form.currency`; nothing without one."""
    if obj.currency:
        form.currency.data = obj.currency
        for name in names:
            value = getattr(obj, name)
            getattr(form, name).data = (minor_to_major(value, obj.currency)
                                        if value is not None else None)


def minor_amounts(form, names, currency: str) -> dict | None:
    """The named amount fields in minor units of `currency` (see `parse_amount`).

    Empty fields give None. A field that is not an amount of the currency gets its error and
    the whole answer is None."""
    amounts, ok = {}, True
    for name in names:
        field = getattr(form, name)
        text = field.data
        if isinstance(text, Decimal):
            text = format(text, "f")
        try:
            amounts[name] = parse_amount(text, currency) if text not in (None, "") else None
        except AmountError as exc:
            field.errors = list(field.errors) + [exc.message]
            ok = False
    return amounts if ok else None
