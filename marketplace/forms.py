"""Form helpers shared by every feature."""

from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from .errors import DomainError
from .i18n.formatting import major_to_minor


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


def minor_amounts(form, names, currency: str) -> dict | None:
    """The named amount fields (entered in major units) in minor units of `currency`.

    Empty fields give None. A field with more decimals than the currency has gets an error and
    the whole answer is None."""
    amounts, ok = {}, True
    for name in names:
        field = getattr(form, name)
        try:
            amounts[name] = (major_to_minor(field.data, currency) if field.data is not None
                             else None)
        except ValueError:
            field.errors.append(_l("Too many decimal places for %(currency)s.",
                                   currency=currency))
            ok = False
    return amounts if ok else None
