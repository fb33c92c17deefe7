"""Form helpers shared by every feature."""

from wtforms.fields.choices import SelectChoice

from .errors import DomainError


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
