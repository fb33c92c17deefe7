"""Page forms for questions. Length and emptiness are the domain's rules (`models.clean_text`),
so that a refusal answers 422 with the same message on the page and in the API."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField

from .models import MAX_ANSWER, MAX_QUESTION


class AskForm(FlaskForm):
    body = TextAreaField(_l("Your question"), render_kw={"rows": 3, "maxlength": MAX_QUESTION},
                         description=_l("The listing's organisation answers it. Its answer is "
                                        "shown on this page unless it keeps it private."))


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Your answer"), render_kw={"rows": 3, "maxlength": MAX_ANSWER})
    private = BooleanField(_l("Keep private: only the organisation that asked sees the "
                              "question and the answer"))


class HideForm(FlaskForm):
    reason = TextAreaField(_l("Reason for hiding (kept in the audit trail)"),
                           render_kw={"rows": 2, "maxlength": 2000})
