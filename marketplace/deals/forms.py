"""Deal forms. They parse what a person typed; the rules are checked by the domain."""


from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..errors import DomainError
from ..forms import choices
from ..i18n.amounts import AmountError, parse_amount
from ..i18n.formatting import minor_to_major
from .messages import MAX_MESSAGE
from .states import DECLINE_REASONS, DealType
from .terms import CURRENCIES, TEXT_LANGUAGES, fields_for, texts, validate_terms


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token."""


class OpenDealForm(FlaskForm):
    deal_type = SelectField(_l("Type of deal"))
    need_id = SelectField(_l("For which need"), default="")
    message = TextAreaField(_l("First message"), validators=[
        DataRequired(), Length(max=MAX_MESSAGE)],
        description=_l("Introduce your organisation and say what you are looking for. "
                       "Do not share confidential details before an NDA."))
    require_nda = BooleanField(_l("Ask for an NDA before confidential details are shared"))

    def set_choices(self, deal_types, needs, need_required=False):
        self.deal_type.choices = choices((t, DealType(t).label) for t in deal_types)
        options = [] if need_required else [("", _l("No specific need"))]
        self.need_id.choices = choices(options + [(str(n.id), n.title) for n in needs])


class ProposalForm(FlaskForm):
    """A startup's proposal for a need: one of its offerings, or a short written proposal."""

    offering_id = SelectField(_l("Which of your offerings fits this need?"), default="")
    title = StringField(_l("Title of your proposal"), validators=[Optional(), Length(max=200)])
    summary = TextAreaField(_l("Summary of your proposal"), validators=[
        Optional(), Length(max=300)])
    deal_type = SelectField(_l("Type of deal"))
    message = TextAreaField(_l("Message to the firm"), validators=[
        DataRequired(), Length(max=MAX_MESSAGE)],
        description=_l("Say how your technology answers the need. Do not share confidential "
                       "details before an NDA."))

    def set_choices(self, deal_types, offerings):
        self.deal_type.choices = choices((t, DealType(t).label) for t in deal_types)
        self.offering_id.choices = choices(
            [("", _l("None fits: I write a short proposal below"))]
            + [(str(o.id), o.title) for o in offerings])


class AcceptInquiryForm(FlaskForm):
    require_nda = BooleanField(_l("Ask for an NDA first"))


class DeclineForm(FlaskForm):
    reason = SelectField(_l("Reason"), choices=choices(DECLINE_REASONS.items()))
    note = TextAreaField(_l("Anything to add (optional)"), validators=[Optional(),
                                                                       Length(max=2000)])


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[Optional(), Length(max=MAX_MESSAGE)])
    attachment = FileField(_l("Attachment (optional)"),
                           description=_l("PDF, PNG, JPEG, Word, Excel, PowerPoint or HWPX."))
    confidential = BooleanField(_l("Confidential: the other side sees it only after the NDA"))


class AssignForm(FlaskForm):
    staff_id = SelectField(_l("Staff member"))


# ---- terms --------------------------------------------------------------------------------

MONEY_HELP = _l("In the currency above, e.g. 1,500,000 or 1500.50.")
SCHEDULE_HELP = _l("One payment per line: due date and amount, e.g. 2026-12-31 5,000,000.")
LONG_TEXT = {"scope", "success_criteria", "delivery", "field_of_use", "conditions"}
#: A free-text term has one input per language, each labelled in its own language.
LANGUAGE_NAMES = {"ko": "한국어", "en": "English"}


def text_input(name: str, lang: str) -> str:
    """The form input holding the `lang` text of the free-text term `name`."""
    return f"{name}_{lang}"


class TermsFormBase(FlaskForm):
    based_on_version = HiddenField(validators=[
        Optional(), Regexp(r"[0-9]{1,9}\Z", message=_l("Enter a whole number."))])


def terms_form(deal_type, *args, **kwargs) -> TermsFormBase:
    """A form with one input per terms field of `deal_type`."""

    class TermsForm(TermsFormBase):
        pass

    for spec in fields_for(deal_type):
        if spec.kind == "currency":
            field = SelectField(spec.label, choices=choices((c, c) for c in CURRENCIES),
                                validate_choice=False)
        elif spec.kind == "choice":
            field = SelectField(spec.label, choices=choices(
                [("", _l("Choose…"))] + list(spec.choices.items())), validate_choice=False)
        elif spec.kind == "bool":
            field = BooleanField(spec.label)
        elif spec.kind == "schedule":
            field = TextAreaField(spec.label, description=SCHEDULE_HELP)
        elif spec.kind == "money":
            field = StringField(spec.label, description=MONEY_HELP)
        elif spec.kind == "text":
            kind = TextAreaField if spec.name in LONG_TEXT else StringField
            for lang in TEXT_LANGUAGES:
                setattr(TermsForm, text_input(spec.name, lang), kind(
                    f"{spec.label} · {LANGUAGE_NAMES[lang]}",
                    render_kw={"lang": lang}))
            continue
        else:
            field = StringField(spec.label)
        setattr(TermsForm, spec.name, field)
    return TermsForm(*args, **kwargs)


def _money_text(amount, currency) -> str:
    return f"{minor_to_major(amount, currency):,}" if amount is not None else ""


def terms_form_data(deal_type, fields: dict) -> dict:
    """An existing version's fields as form input (for a counter-offer)."""
    currency = fields.get("currency", "KRW")
    data = {}
    for spec in fields_for(deal_type):
        value = fields.get(spec.name)
        if spec.kind == "money":
            data[spec.name] = _money_text(value, currency)
        elif spec.kind == "text":
            data.update({text_input(spec.name, lang): text
                         for lang, text in texts(value).items()})
        elif spec.kind == "schedule":
            data[spec.name] = "\n".join(f"{item['due']} {_money_text(item['amount'], currency)}"
                                        for item in value or [])
        elif value is not None:
            data[spec.name] = value if spec.kind in ("bool", "choice", "currency") else str(value)
    return data


def _parse_money(text: str, currency: str) -> int:
    return parse_amount(text, currency)


def terms_from_form(deal_type, form) -> dict:
    """The form's input in the API's shape (minor units), validated by the domain."""
    currency = form.currency.data if form.currency.data in CURRENCIES else "KRW"
    data, errors = {}, {}
    for spec in fields_for(deal_type):
        if spec.kind == "text":
            data[spec.name] = {lang: (form[text_input(spec.name, lang)].data or "").strip()
                               for lang in TEXT_LANGUAGES}
            continue
        raw = form[spec.name].data
        if spec.kind == "bool":
            data[spec.name] = bool(raw)
            continue
        raw = (raw or "").strip()
        if not raw:
            continue
        if spec.kind == "money":
            try:
                data[spec.name] = _parse_money(raw, currency)
            except AmountError as exc:
                errors[spec.name] = [exc.message]
        elif spec.kind == "schedule":
            items = []
            for line in raw.splitlines():
                if not line.strip():
                    continue
                due, _, amount = line.strip().partition(" ")
                try:
                    items.append({"amount": _parse_money(amount.strip(), currency), "due": due})
                except ValueError:
                    errors[spec.name] = [SCHEDULE_HELP]
            data[spec.name] = items
        else:
            data[spec.name] = raw
    try:
        clean = validate_terms(deal_type, {k: v for k, v in data.items() if k not in errors})
    except DomainError as exc:
        raise type(exc)(exc.message, _form_errors(deal_type, {**exc.fields, **errors})) \
            from None
    if errors:
        raise DomainError(_l("Some terms are missing or not valid. Check the marked fields."),
                          errors)
    return clean


def _form_errors(deal_type, errors: dict) -> dict:
    """Errors of a free-text term shown on its Korean input (the first of its two)."""
    text = {spec.name for spec in fields_for(deal_type) if spec.kind == "text"}
    return {text_input(name, "ko") if name in text else name: messages
            for name, messages in errors.items()}
