"""Matching forms: the investor's interest profile, and buttons that only carry a CSRF token."""


from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import AmountField, choices, minor_amounts, show_amounts
from ..listings.vocabulary import CURRENCIES, SECTOR_LABELS, TRL_LABELS
from .records import REGION_LABELS, InvestorStage

LANGUAGE_LABELS = {"ko": _l("Korean"), "en": _l("English")}


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (dismiss, mark read)."""


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _trl_choices():
    return choices([("", _l("Any")), *((str(n), _l("TRL %(n)d — %(label)s", n=n, label=label))
                                       for n, label in TRL_LABELS.items())])


class ProfileForm(FlaskForm):
    thesis = TextAreaField(
        _l("What you invest in"), validators=[Optional()],
        description=_l("A few sentences in Korean or English; they are matched against the "
                       "startups' offerings."))
    sectors = MultiCheckboxField(_l("Sectors"))
    keywords = StringField(_l("Keywords"), validators=[Optional()],
                           description=_l("Separated by commas, e.g. 배터리, BMS, battery"))
    stages = MultiCheckboxField(_l("Stages"))
    trl_min = SelectField(_l("Lowest technology readiness"), default="")
    trl_max = SelectField(_l("Highest technology readiness"), default="")
    currency = SelectField(_l("Currency"), choices=choices((c, c) for c in CURRENCIES))
    ticket_min = AmountField(_l("Ticket from (amount)"), validators=[Optional(), Length(max=60)])
    ticket_max = AmountField(_l("Ticket up to (amount)"), validators=[Optional(), Length(max=60)])
    regions = MultiCheckboxField(_l("Regions"))
    languages = MultiCheckboxField(_l("Languages you read"))

    def __init__(self, *args, profile=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.sectors.choices = choices(SECTOR_LABELS.items())
        self.stages.choices = choices(InvestorStage.choices())
        self.regions.choices = choices(REGION_LABELS.items())
        self.languages.choices = choices(LANGUAGE_LABELS.items())
        self.trl_min.choices = _trl_choices()
        self.trl_max.choices = _trl_choices()
        if profile is not None and not self.is_submitted():
            self._fill(profile)

    def _fill(self, profile) -> None:
        self.thesis.data = profile.thesis
        self.keywords.data = ", ".join(profile.keywords or [])
        for name in ("sectors", "stages", "regions", "languages"):
            getattr(self, name).data = list(getattr(profile, name) or [])
        for name in ("trl_min", "trl_max"):
            value = getattr(profile, name)
            getattr(self, name).data = str(value) if value else ""
        show_amounts(self, profile, ("ticket_min", "ticket_max"))

    def to_data(self) -> dict | None:
        """The service's input, or None after adding field errors (bad amounts)."""
        data = {name: getattr(self, name).data for name in (
            "thesis", "keywords", "sectors", "stages", "regions", "languages", "trl_min",
            "trl_max")}
        currency = self.currency.data
        amounts = minor_amounts(self, ("ticket_min", "ticket_max"), currency)
        if amounts is None:
            return None
        data.update(amounts)
        data["currency"] = currency
        return data
