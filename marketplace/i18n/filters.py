"""The template filters that show dates, numbers and money in the page's language."""

from flask_babel import format_decimal

from .converted import money_with_approximate
from .dates import input_hint, input_text, show_date, show_datetime


def init_app(app) -> None:
    app.jinja_env.filters.update(
        money=money_with_approximate,
        date=show_date,
        datetime=show_datetime,
        number=format_decimal,
        date_input=input_text,
    )
    app.jinja_env.globals["date_input_hint"] = input_hint
