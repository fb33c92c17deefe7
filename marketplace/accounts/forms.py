from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from ..forms import AmountField, choices
from .models import OrgKind
from .services import MIN_PASSWORD_LENGTH

LANGUAGE_CHOICES = [("ko", "한국어"), ("en", "English")]
COMMON_COUNTRIES = ("KR", "US", "JP", "CN", "SG", "DE", "GB", "FR", "VN", "IN", "IL", "CA", "AU")


def country_choices():
    names = Locale.parse(str(get_locale() or "ko")).territories
    return choices((code, names.get(code, code)) for code in COMMON_COUNTRIES)


class RegisterForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(),
                                                         Length(min=MIN_PASSWORD_LENGTH)])
    confirm = PasswordField(_l("Repeat password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The passwords do not match."))])
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100)])
    org_kind = SelectField(_l("Organisation type"),
                           choices=choices(OrgKind.choices(exclude={OrgKind.agency})))
    org_name_ko = StringField(_l("Organisation name (Korean)"), validators=[Optional(),
                                                                          Length(max=200)])
    org_name_en = StringField(_l("Organisation name (English)"), validators=[Optional(),
                                                                           Length(max=200)])
    country = SelectField(_l("Country"), default="KR")
    business_registration_no = StringField(
        _l("Business registration number"), validators=[Optional(), Length(max=20)],
        description=_l("10 digits, e.g. 123-45-67890. Required for Korean firms and startups."))
    preferred_language = SelectField(_l("Preferred language"), choices=choices(LANGUAGE_CHOICES))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in"))


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email()])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(),
                                                             Length(min=MIN_PASSWORD_LENGTH)])
    confirm = PasswordField(_l("Repeat password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The passwords do not match."))])


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100)])
    preferred_language = SelectField(_l("Preferred language"), choices=choices(LANGUAGE_CHOICES))


class OrganisationDetailsForm(FlaskForm):
    """What contracts print about the organisation; the domain checks the values."""

    address_ko = StringField(_l("Address (Korean)"), validators=[Optional()],
                             description=_l("As registered, e.g. "
                                            "서울특별시 강남구 테헤란로 123, 4층"))
    address_en = StringField(_l("Address (English)"), validators=[Optional()],
                             description=_l("e.g. 4F, 123 Teheran-ro, Gangnam-gu, Seoul"))
    representative_ko = StringField(_l("Representative (Korean)"), validators=[Optional()],
                                    description=_l("e.g. 대표이사 김민준"))
    representative_en = StringField(_l("Representative (English)"), validators=[Optional()],
                                    description=_l("e.g. Minjun Kim, CEO"))
    business_type = StringField(_l("Business type (업태)"), validators=[Optional()],
                                description=_l("As on the business registration, e.g. 제조업"))
    business_item = StringField(_l("Business item (종목)"), validators=[Optional()],
                                description=_l("As on the business registration, e.g. "
                                               "2차전지 제조"))


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class ConfirmForm(FlaskForm):
    """A POST button with CSRF protection and nothing else."""


class OrganisationProfileForm(FlaskForm):
    """The public profile; startups also give stage, funding and an investor contact."""

    description_ko = TextAreaField(_l("What the organisation does (Korean)"),
                                   validators=[Optional()], render_kw={"rows": 5})
    description_en = TextAreaField(_l("What the organisation does (English)"),
                                   validators=[Optional()], render_kw={"rows": 5})
    website = StringField(_l("Website"), validators=[Optional()],
                          description=_l("e.g. https://www.example.co.kr"))
    founded_year = IntegerField(_l("Year founded"), validators=[Optional()])
    employees = IntegerField(_l("Number of employees"), validators=[Optional()])
    logo = FileField(_l("Logo"), description=_l("PNG or JPEG, up to 2 MB; shown at 256 pixels."))
    stage = SelectField(_l("Funding stage"), validators=[Optional()])
    funding_currency = SelectField(_l("Currency of the amounts"), validators=[Optional()],
                                   choices=choices([("KRW", "KRW"), ("USD", "USD")]))
    funding_raised = AmountField(_l("Funding raised so far"), validators=[Optional()])
    funding_sought = AmountField(_l("Funding sought now"), validators=[Optional()])
    ir_contact_name = StringField(_l("Investor relations contact"), validators=[Optional()])
    ir_contact_email = StringField(_l("Investor relations e-mail"), validators=[Optional()])
