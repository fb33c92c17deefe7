"""Dates, numbers and money formatted by Babel for the active locale.

Money is stored as integer minor units plus an ISO currency code; the number of minor digits
comes from Babel's currency data (KRW 0, USD 2), never from a float.
"""

from decimal import Decimal

from babel.numbers import get_currency_precision
from flask_babel import format_currency, format_date, format_datetime, format_decimal


def minor_to_major(amount_minor: int, currency: str) -> Decimal:
    return Decimal(int(amount_minor)).scaleb(-get_currency_precision(currency))


def major_to_minor(amount: Decimal | int | str, currency: str) -> int:
    value = Decimal(str(amount)).scaleb(get_currency_precision(currency))
    if value != value.to_integral_value():
        raise ValueError(f"too many decimal places for {currency}")
    return int(value)


def money(amount_minor: int | None, currency: str) -> str:
    if amount_minor is None:
        return ""
    return format_currency(minor_to_major(amount_minor, currency), currency)


def init_app(app) -> None:
    app.jinja_env.filters.update(
        money=money,
        date=format_date,
        datetime=format_datetime,
        number=format_decimal,
    )
