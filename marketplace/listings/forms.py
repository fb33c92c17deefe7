"""Page forms for listings and challenges. They check shape and length with translated
messages; the rules themselves live in `validation.py`, which the JSON API shares."""


from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import AmountField, LocalDateField, choices, minor_amounts, show_amounts
from .challenges import DeclineReason
from .validation import local_timezone
from .vocabulary import (
    CURRENCIES,
    DEAL_TYPE_LABELS,
    SECTOR_LABELS,
    TRL_LABELS,
    CloseReason,
    IPStatus,
    ListingKind,
)

NO_CHOICE = ("", _l("Choose…"))


def sector_choices():
    return choices([NO_CHOICE, *SECTOR_LABELS.items()])


def trl_choices():
    return choices([NO_CHOICE, *((str(n), _l("TRL %(n)d — %(label)s", n=n, label=label))
                                 for n, label in TRL_LABELS.items())])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class _ListingForm(FlaskForm):
    title_ko = StringField(_l("Title (Korean)"), validators=[Optional(), Length(max=200)])
    summary_ko = StringField(_l("One-line summary (Korean)"),
                             validators=[Optional(), Length(max=300)])
    description_ko = TextAreaField(_l("Description (Korean)"),
                                   validators=[Optional(), Length(max=10_000)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=200)])
    summary_en = StringField(_l("One-line summary (English)"),
                             validators=[Optional(), Length(max=300)])
    description_en = TextAreaField(_l("Description (English)"),
                                   validators=[Optional(), Length(max=10_000)])
    sector = SelectField(_l("Sector"), validators=[DataRequired()])
    deal_types = MultiCheckboxField(_l("Deal types"), validators=[DataRequired(
        message=_l("Choose at least one deal type."))])
    keywords = StringField(_l("Keywords"), validators=[Optional(), Length(max=500)],
                           description=_l("Separated by commas, e.g. 배터리, BMS, battery"))
    currency = SelectField(_l("Currency"), choices=choices((c, c) for c in CURRENCIES))
    price_min = AmountField(_l("From (amount)"), validators=[Optional(), Length(max=60)])
    price_max = AmountField(_l("To (amount)"), validators=[Optional(), Length(max=60)])
    confidential_text = TextAreaField(
        _l("Confidential details"), validators=[Optional(), Length(max=10_000)],
        description=_l("Shown only to your organisation, staff, and deal partners who signed "
                       "the NDA."))

    TEXT_FIELDS = ("title_ko", "summary_ko", "description_ko", "title_en", "summary_en",
                   "description_en", "sector", "keywords", "confidential_text")
    kind: ListingKind

    def __init__(self, *args, listing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.sector.choices = sector_choices()
        self.deal_types.choices = choices(DEAL_TYPE_LABELS.items())
        trl_field = self.trl_field()
        trl_field.choices = trl_choices()
        if listing is not None and not self.is_submitted():
            self._fill(listing)

    def trl_field(self):
        raise NotImplementedError

    def _fill(self, listing) -> None:
        for name in self.TEXT_FIELDS:
            value = getattr(listing, name)
            getattr(self, name).data = ", ".join(value) if name == "keywords" else value
        self.deal_types.data = list(listing.deal_types or [])
        trl_field = self.trl_field()
        trl_field.data = str(getattr(listing, trl_field.name) or "")
        show_amounts(self, listing, ("price_min", "price_max"))

    def to_data(self) -> dict | None:
        """The service's input dict, or None after adding field errors (bad amounts)."""
        data = {name: getattr(self, name).data for name in self.TEXT_FIELDS}
        data["deal_types"] = list(self.deal_types.data or [])
        data[self.trl_field().name] = self.trl_field().data or None
        currency = self.currency.data
        amounts = minor_amounts(self, ("price_min", "price_max"), currency)
        if amounts is None:
            return None
        data.update(amounts)
        data["currency"] = currency if (data["price_min"] is not None
                                        or data["price_max"] is not None) else None
        return data


class OfferingForm(_ListingForm):
    kind = ListingKind.offering
    trl = SelectField(_l("Technology readiness level (TRL)"), validators=[DataRequired()])
    ip_status = SelectField(_l("Patent status"))
    patent_applications = TextAreaField(
        _l("Patent application numbers"), validators=[Optional(), Length(max=1000)],
        description=_l("One per line, e.g. 10-2023-0123456"))
    patent_registrations = TextAreaField(
        _l("Patent registration numbers"), validators=[Optional(), Length(max=1000)],
        description=_l("One per line, e.g. 10-2345678"))
    evidence = TextAreaField(
        _l("Evidence"), validators=[Optional(), Length(max=5000)],
        description=_l("Pilots, customers, measured figures."))

    TEXT_FIELDS = (*_ListingForm.TEXT_FIELDS, "ip_status", "evidence")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ip_status.choices = choices(IPStatus.choices())

    def trl_field(self):
        return self.trl

    def _fill(self, listing) -> None:
        super()._fill(listing)
        self.ip_status.data = str(listing.ip_status or "none")
        self.patent_applications.data = "\n".join(listing.patent_applications or [])
        self.patent_registrations.data = "\n".join(listing.patent_registrations or [])

    def to_data(self):
        data = super().to_data()
        if data is not None:
            data["patent_applications"] = self.patent_applications.data or ""
            data["patent_registrations"] = self.patent_registrations.data or ""
        return data


class NeedForm(_ListingForm):
    kind = ListingKind.need
    min_trl = SelectField(_l("Lowest acceptable TRL"), validators=[DataRequired()])
    expected_benefit = TextAreaField(
        _l("Expected benefit"), validators=[Optional(), Length(max=5000)],
        description=_l("What solving this is worth to you: savings, new sales, compliance."))
    deadline = LocalDateField(_l("Response deadline"), validators=[Optional()],
                              description=_l("The need closes automatically after this day."))

    TEXT_FIELDS = (*_ListingForm.TEXT_FIELDS, "expected_benefit")

    def trl_field(self):
        return self.min_trl

    def _fill(self, listing) -> None:
        super()._fill(listing)
        if listing.deadline is not None:
            self.deadline.data = listing.deadline.astimezone(local_timezone()).date()

    def to_data(self):
        data = super().to_data()
        if data is not None:
            data["deadline"] = self.deadline.data
        return data


def form_for(kind: str):
    return OfferingForm if kind == ListingKind.offering else NeedForm


class AttachmentForm(FlaskForm):
    file = FileField(_l("File (PDF, PNG or JPEG)"), validators=[FileRequired(
        message=_l("Choose a file."))])
    # its own id: the listing page's confidential section is `#confidential`
    confidential = BooleanField(_l("Confidential (only after the NDA)"),
                                id="attachment-confidential")


class CloseForm(FlaskForm):
    reason = SelectField(_l("Why are you closing it?"), choices=choices(
        CloseReason.choices(exclude={CloseReason.expired})))


class HideForm(FlaskForm):
    reason = TextAreaField(_l("Reason (sent to the organisation)"),
                           validators=[DataRequired(), Length(max=2000)])


class ChallengeForm(FlaskForm):
    deadline = LocalDateField(_l("Proposals accepted until"), validators=[DataRequired()])
    criteria = TextAreaField(_l("Evaluation criteria"),
                             validators=[DataRequired(), Length(max=5000)])
    winners = IntegerField(_l("Number of winners"), default=1,
                           validators=[DataRequired(), NumberRange(min=1, max=20)])


class SubmissionForm(FlaskForm):
    offering_id = SelectField(_l("Your offering"), validators=[DataRequired()])
    pitch = TextAreaField(_l("Your proposal"), validators=[DataRequired(), Length(min=20,
                                                                                 max=5000)])
    file = FileField(_l("Attachment (optional: PDF, PNG or JPEG)"))

    def __init__(self, *args, offerings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.offering_id.choices = choices([NO_CHOICE, *((str(o.id), o.title)
                                                         for o in offerings)])


class DeclineForm(FlaskForm):
    reason = SelectField(_l("Reason"), choices=choices(DeclineReason.choices()))
    text = TextAreaField(_l("Explanation for the startup"),
                         validators=[Optional(), Length(max=2000)])


class ConfidentialViewForm(FlaskForm):
    """Staff open a listing's confidential details; the reason goes into the access log."""

    reason = StringField(_l("Why do you need them? (optional)"),
                         validators=[Optional(), Length(max=500)])
