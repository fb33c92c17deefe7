"""Dates, numbers and money formatted by Babel for the active locale.

Money is stored as integer minor units plus an ISO currency code; the number of minor digits
comes from Babel's currency data (KRW 0, USD 2), never from a float.
"""

import re
from decimal import Decimal
from functools import lru_cache

from babel.numbers import get_currency_precision
from flask_babel import format_currency, get_locale


def minor_to_major(amount_minor: int, currency: str) -> Decimal:
    return Decimal(int(amount_minor)).scaleb(-get_currency_precision(currency))


#: Digits are ASCII only: `str.isdigit()`, `int()` and `Decimal()` also take "²", "①" or "٣",
#: and `int()` of more than 4300 digits raises.
INTEGER = re.compile(r"-?[0-9]{1,30}")
DECIMAL = re.compile(r"-?[0-9]{1,30}(\.[0-9]{1,30})?")


def parse_integer(text: str) -> int:
    """A whole number written in ASCII digits (at most 30); ValueError otherwise."""
    text = text.strip()
    if not INTEGER.fullmatch(text):
        raise ValueError("not a whole number in ASCII digits")
    return int(text)


def major_to_minor(amount: Decimal | int | str, currency: str) -> int:
    """Minor units of an amount in major units; ValueError for anything but plain ASCII
    digits with an optional point, or more decimals than the currency has."""
    if isinstance(amount, Decimal):  # from a form's DecimalField: "1e3" is 1000, "1e999" is not
        amount = format(amount, "f") if amount.is_finite() and amount.adjusted() < 30 else "x"
    text = str(amount).strip()
    if not DECIMAL.fullmatch(text):
        raise ValueError("not an amount in ASCII digits")
    value = Decimal(text).scaleb(get_currency_precision(currency))
    if value != value.to_integral_value():
        raise ValueError(f"too many decimal places for {currency}")
    return int(value)


def money(amount_minor: int | None, currency: str) -> str:
    if amount_minor is None:
        return ""
    return _money(int(amount_minor), currency, get_locale())


# Formatting one amount takes Babel a tenth of a millisecond; a page shows the same few
# prices on many cards, and they are remembered per locale.
@lru_cache(maxsize=8192)
def _money(amount_minor: int, currency: str, locale) -> str:
    return format_currency(minor_to_major(amount_minor, currency), currency)

