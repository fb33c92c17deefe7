from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Optional


class AskForm(FlaskForm):
    """Only the CSRF token: the listing is in the URL and the language is the page's."""


class TranslationForm(FlaskForm):
    """The missing language's texts; the field names get the language suffix when read."""

    title = StringField(_l("Title"), validators=[Optional()])
    summary = StringField(_l("Summary"), validators=[Optional()])
    description = TextAreaField(_l("Description"), validators=[Optional()],
                                render_kw={"rows": 8})

    def to_data(self, lang: str) -> dict:
        return {f"{name}_{lang}": (self[name].data or "").strip() or None
                for name in ("title", "summary", "description")}
