from flask_wtf import FlaskForm
from wtforms import SelectField

from ..forms import choices
from .models import Delivery


class MarkReadForm(FlaskForm):
    """Mark one notice (its id in the URL) or all of them read: nothing but the CSRF token."""


def preferences_form(kinds, current: dict[str, str]) -> FlaskForm:
    """One select per registered kind, named by the kind."""
    class PreferencesForm(FlaskForm):
        pass

    for kind in kinds:
        setattr(PreferencesForm, kind.name, SelectField(
            kind.label, choices=choices(Delivery.choices()), default=current[kind.name]))
    return PreferencesForm()
