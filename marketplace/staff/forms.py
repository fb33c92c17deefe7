"""Forms of the staff console."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..accounts.models import Role
from ..forms import choices


class ReasonForm(FlaskForm):
    """A POST button with an optional reason, written to the audit trail."""

    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class RoleForm(ReasonForm):
    role = SelectField(_l("Role"), validators=[DataRequired()],
                       choices=choices(Role.choices()))


class MonthForm(FlaskForm):
    month = StringField(_l("Month"), validators=[DataRequired(), Length(max=7)],
                        description=_l("As YYYY-MM, e.g. 2026-10."))
