from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Optional


class AskForm(FlaskForm):
    note = TextAreaField(_l("A short note to the startup"), validators=[Optional()],
                         render_kw={"rows": 5},
                         description=_l("Who you are, what interests you in them, what you "
                                        "would like to discuss."))
    proposed_times = StringField(_l("Times you propose"), validators=[Optional()],
                                 description=_l("e.g. 12 Dec 10:00–12:00 KST, online or in "
                                                "Seoul"))


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Your answer"), validators=[Optional()], render_kw={"rows": 3})
    meeting = StringField(_l("When and where you meet"), validators=[Optional()])


class DealForm(FlaskForm):
    offering_id = SelectField(_l("The offering the investment is about"), coerce=int,
                              validators=[Optional()])
    message = TextAreaField(_l("First message"), validators=[Optional()],
                            render_kw={"rows": 4})
