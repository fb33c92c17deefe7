"""Contract forms. They parse what a person typed into plain values; the rules are the
domain's (`services`)."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..documents.templates import ContractTemplate
from ..errors import DomainError
from ..forms import choices
from ..i18n.amounts import AmountError, parse_amount
from ..i18n.dates import DateInputError, input_hint, input_text, parse_date
from ..i18n.formatting import minor_to_major, parse_integer
from .models import LANGUAGE_LABELS

PARTY_KEY_LABELS = {
    "representative": _l("Representative"),
    "address": _l("Address"),
    "registration_no": _l("Registration no."),
}
LANG_SUFFIX = {"ko": _l("in Korean"), "en": _l("in English")}


#: How the parts of a variable path after its name read ("licensor.address.ko").
PATH_PART_LABELS = {**PARTY_KEY_LABELS, "name": _l("Name"), "amount": _l("Amount"),
                    "due": _l("Due date"), "milestone": _l("Milestone")}


def path_label(template: ContractTemplate, path: str, lang: str) -> str:
    """A variable path as people read it: "Licensor: Address", "Field of use (in Korean)",
    "Payment schedule 2: Due date" (never the path itself)."""
    head, *parts = path.split(".")
    name, _sep, index = head.partition("[")
    spec = template.fields.get(name)
    label = (spec.label.get(lang) or spec.label.get("ko")) if spec else _("Other details")
    if index.rstrip("]").isdigit():
        label = f"{label} {int(index.rstrip(']')) + 1}"
    for part in parts:
        part = part.split("[", 1)[0]
        if part in LANG_SUFFIX:
            label = f"{label} ({LANG_SUFFIX[part]})"
        elif part in PATH_PART_LABELS:
            label = f"{label}: {PATH_PART_LABELS[part]}"
    return label


def missing_labels(template: ContractTemplate, missing: dict, lang: str
                   ) -> list[tuple[str, str]]:
    """``(path, label)`` per missing variable, as people read it (``licensor.address`` →
    "Licensor: Address")."""
    return [(path, str(path_label(template, path, lang))) for path in missing]


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token."""


class NdaConfirmForm(FlaskForm):
    """Confirming the NDA PDF whose SHA-256 was shown, with the user's password."""

    sha256 = HiddenField()
    password = PasswordField(_l("Your password"), validators=[DataRequired()])


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language of the contract"),
                           choices=choices(LANGUAGE_LABELS.items()))
    prevailing_language = SelectField(
        _l("Prevailing language (bilingual contracts)"),
        choices=choices([("ko", _l("Korean")), ("en", _l("English"))]),
        description=_l("If the two language versions differ, this one decides."))


class ClauseForm(FlaskForm):
    text_ko = TextAreaField(_l("Text in Korean"), validators=[Optional(), Length(max=20_000)],
                            render_kw={"rows": 12})
    text_en = TextAreaField(_l("Text in English"), validators=[Optional(), Length(max=20_000)],
                            render_kw={"rows": 12})


class SignForm(FlaskForm):
    document_sha256 = HiddenField()
    signatory_name = StringField(_l("The signatory's name, as the contract writes it"),
                                 validators=[DataRequired(), Length(max=100)])
    password = PasswordField(_l("Your password"), validators=[DataRequired()])


class SignatoryForm(FlaskForm):
    name = StringField(_l("Name of the person who signs"),
                       validators=[DataRequired(), Length(max=100)])
    title = StringField(_l("Title (e.g. CEO)"), validators=[Optional(), Length(max=100)])


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("What needs to change?"), validators=[Optional(),
                                                                   Length(max=2000)])


class ReviewRequestForm(FlaskForm):
    note = TextAreaField(_l("What should staff look at?"), validators=[Optional(),
                                                                      Length(max=4000)])


class ReviewForm(FlaskForm):
    comment = TextAreaField(_l("Your review"), validators=[Optional(), Length(max=4000)])


class TemplateUploadForm(FlaskForm):
    key = SelectField(_l("Contract type"))
    files = MultipleFileField(
        _l("Template files"),
        description=_l("A .zip, or the files ko.html, en.html, fields.json, sample.json and "
                       "style.css."))


# ---- the draft's details, built from the template's metadata -------------------------------

def field_name(path: str, lang: str | None = None) -> str:
    name = "v__" + path.replace(".", "__")
    return f"{name}__{lang}" if lang else name


def _localised_parts(value) -> tuple[str, str]:
    if isinstance(value, dict):
        return value.get("ko", ""), value.get("en", "")
    return (value or ""), ""


def _schedule_text(value, currency: str) -> str:
    lines = []
    for item in value or []:
        amount = item.get("amount") or {}
        major = minor_to_major(amount.get("amount", 0), amount.get("currency", currency))
        lines.append(f"{item.get('due', '')} {major}")
    return "\n".join(lines)


class DetailsForm(FlaskForm):
    """The draft's fillable variables; fields are added per template by `details_form`."""


def _spec_of(template: ContractTemplate, path: str):
    head, _, rest = path.partition(".")
    return template.fields[head], rest or None


def _label(template: ContractTemplate, path: str, lang: str) -> str:
    spec, key = _spec_of(template, path)
    label = spec.label.get(lang) or spec.label.get("ko") or spec.name
    if key in LANG_SUFFIX:  # the translation of a term agreed in the other language
        return f"{label} ({LANG_SUFFIX[key]})"
    return f"{label}: {PARTY_KEY_LABELS[key]}" if key else label


def details_form(template: ContractTemplate, paths: list[str], values: dict, lang: str,
                 currency: str, formdata=None) -> DetailsForm:
    """A form with an input per fillable variable path, filled from `values`."""

    class Form(DetailsForm):
        pass

    data = {}
    Form.layout = []  # (path, [field names]) in template order
    for path in paths:
        spec, key = _spec_of(template, path)
        label = _label(template, path, lang)
        head = path.partition(".")[0]
        current = values.get(head)
        if key:
            current = current.get(key) if isinstance(current, dict) else None
        names = []
        if key in LANG_SUFFIX:
            kind = TextAreaField if spec.type == "text" else StringField
            setattr(Form, field_name(path), kind(
                label, validators=[Optional(), Length(max=5000)],
                render_kw={"lang": key, **({"rows": 3} if kind is TextAreaField else {})}))
            data[field_name(path)] = current or ""
            Form.layout.append((path, [field_name(path)]))
            continue
        localisable = (key in ("representative", "address")) or (
            key is None and spec.type in ("string", "text"))
        if localisable:
            ko, en = _localised_parts(current)
            for code, text in (("ko", ko), ("en", en)):
                kind = TextAreaField if spec.type == "text" and not key else StringField
                setattr(Form, field_name(path, code), kind(
                    f"{label} ({LANG_SUFFIX[code]})", validators=[Optional(), Length(max=5000)],
                    render_kw={"rows": 3} if kind is TextAreaField else {}))
                data[field_name(path, code)] = text
                names.append(field_name(path, code))
        elif spec.type == "enum":
            options = [("", "—")] + [(v, spec.labels.get(lang, {}).get(v, v))
                                     for v in spec.values]
            setattr(Form, field_name(path), SelectField(label, choices=choices(options)))
            data[field_name(path)] = current or ""
            names.append(field_name(path))
        elif spec.type == "date":
            setattr(Form, field_name(path), StringField(
                label, render_kw={"placeholder": input_hint(), "autocomplete": "off"}))
            data[field_name(path)] = input_text(dt.date.fromisoformat(current)) if current else ""
            names.append(field_name(path))
        elif spec.type == "money":
            setattr(Form, field_name(path), StringField(
                f"{label} ({currency})", render_kw={"inputmode": "decimal"}))
            data[field_name(path)] = str(minor_to_major(current["amount"], current["currency"])) \
                if isinstance(current, dict) else ""
            names.append(field_name(path))
        elif spec.type == "schedule":
            setattr(Form, field_name(path), TextAreaField(
                label, description=_l("One payment a line: the due date and the amount, e.g. "
                                      "2026-04-01 25000000."), render_kw={"rows": 3}))
            data[field_name(path)] = _schedule_text(current, currency)
            names.append(field_name(path))
        else:  # integer, percent, registration_no
            render_kw = {"inputmode": "numeric"} if spec.type in ("integer", "percent") else {}
            setattr(Form, field_name(path), StringField(label, render_kw=render_kw))
            data[field_name(path)] = "" if current is None else str(current)
            names.append(field_name(path))
        Form.layout.append((path, names))
    form = Form(formdata=formdata, data=data) if formdata is not None else Form(data=data)
    form.template_ = template
    form.currency_ = currency
    return form


def _parse(spec, key, raw: dict[str, str], currency: str):
    """One variable's value from its input(s); raises ValueError with a message."""
    if key in LANG_SUFFIX:
        return (raw.get(key) or "").strip() or None
    if (key in ("representative", "address")) or (key is None and spec.type in ("string",
                                                                               "text")):
        ko, en = (raw.get("ko") or "").strip(), (raw.get("en") or "").strip()
        if not ko and en:
            raise ValueError(_l("Write the Korean text too (it may be the same)."))
        if not ko:
            return None
        return {"ko": ko, "en": en} if en and en != ko else ko
    text = (raw.get(None) or "").strip()
    if not text:
        return None
    if key is not None:  # registration_no
        return text
    if spec.type == "enum":
        return text
    if spec.type == "date":
        try:
            return parse_date(text).isoformat()
        except DateInputError as exc:
            raise ValueError(exc.message) from None
    if spec.type == "integer":
        try:
            return parse_integer(text.replace(",", ""))
        except ValueError:
            raise ValueError(_l("Enter a whole number.")) from None
    if spec.type == "percent":
        try:
            number = float(text.replace(",", "").rstrip("%"))
        except ValueError:
            raise ValueError(_l("Enter a percentage, e.g. 3.5.")) from None
        return int(number) if number.is_integer() else number
    if spec.type == "money":
        return {"amount": _minor(text, currency), "currency": currency}
    if spec.type == "schedule":
        items = []
        for line in text.splitlines():
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) != 2:
                raise ValueError(_l("One payment a line: the due date and the amount."))
            try:
                due = dt.date.fromisoformat(parts[0]).isoformat()
            except ValueError:
                raise ValueError(_l("Write the date as YYYY-MM-DD.")) from None
            items.append({"amount": {"amount": _minor(parts[1], currency),
                                     "currency": currency}, "due": due})
        return items or None
    return text


def _minor(text: str, currency: str) -> int:
    try:
        return parse_amount(text, currency)
    except AmountError as exc:
        raise ValueError(exc.message) from None


def details_from_form(form: DetailsForm) -> dict:
    """``{path: value}`` from a submitted details form, or a DomainError naming the fields."""
    values, errors = {}, {}
    for path, names in form.layout:
        spec, key = _spec_of(form.template_, path)
        raw = {}
        for name in names:
            lang = name.rsplit("__", 1)[1] if name.endswith(("__ko", "__en")) else None
            raw[lang] = getattr(form, name).data
        try:
            values[path] = _parse(spec, key, raw, form.currency_)
        except ValueError as exc:
            errors[path] = [exc.args[0]]
    if errors:
        raise DomainError(_l("Some details are not valid. Check the marked fields."), errors)
    return values


def apply_path_errors(form: DetailsForm, exc: DomainError) -> None:
    """Show a DomainError's per-path messages on the inputs of those paths."""
    by_path = dict(form.layout)
    for path, messages in exc.fields.items():
        base = path.split("[", 1)[0]
        names = by_path.get(base) or by_path.get(base.partition(".")[0]) or []
        if names:
            field = getattr(form, names[0])
            field.errors = list(field.errors) + [str(m) for m in messages]
        else:
            form.form_errors.append(f"{path}: {', '.join(str(m) for m in messages)}")
    if not exc.fields:
        form.form_errors.append(str(exc.message))
