"""Amounts as people type them, to integer minor units of a field's currency.

Takes "₩30,000,000", "30,000,000", "30000000원", "3천만 원", "3,000만원", "1억 2천만원",
"1.5억", "12억 3456만 7890원" and "$1,250.50". Only ASCII digits make a number (full-width
"３" or "①" are refused, as everywhere else); a currency sign or word must be the field's
currency; more decimals than the currency has are refused, never rounded.
"""

import re
from decimal import Decimal

from babel.numbers import get_currency_precision
from flask_babel import lazy_gettext as _l

#: Currency signs and words, each naming one currency. "US$" before "$" (longest first).
MARKERS = {
    "KRW": ("KRW", "₩", "￦", "원"),
    "USD": ("USD", "US$", "$", "달러"),
    "EUR": ("EUR", "€", "유로"),
    "JPY": ("JPY", "JP¥", "¥", "엔"),
}
_MARKER = re.compile("|".join(re.escape(m) for m in sorted(
    (m for ms in MARKERS.values() for m in ms), key=len, reverse=True)), re.IGNORECASE)
_CURRENCY_OF = {m.upper(): code for code, ms in MARKERS.items() for m in ms}

#: Korean place words: 십 백 천 within a group of four digits, 만 억 조 between groups.
SMALL = {"십": 10, "백": 100, "천": 1000}
LARGE = {"만": 10**4, "억": 10**8, "조": 10**12}
#: A number: ASCII digits, thousands grouped by commas or not, an optional decimal point.
_NUMBER = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?")
_TOKEN = re.compile(rf"\s+|(?P<number>{_NUMBER.pattern})|(?P<unit>[십백천만억조])")
#: More than this many digits is not an amount anyone means (and `int()` has limits).
MAX_DIGITS = 30


class AmountError(ValueError):
    """Not an amount of the field's currency; `message` is for the person who typed it."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _not_an_amount() -> AmountError:
    return AmountError(_l("Enter an amount in digits, such as 30,000,000, 3천만 원 or "
                          "1,250.50."))


def _strip_currency(text: str, currency: str) -> str:
    """The text without its currency signs and words; AmountError if one names another
    currency."""
    found = {_CURRENCY_OF[m.upper()] for m in _MARKER.findall(text)}
    other = found - {currency}
    if other:
        raise AmountError(_l("This amount is in %(given)s, but this field takes %(currency)s.",
                             given=", ".join(sorted(other)), currency=currency))
    return _MARKER.sub(" ", text)


def _value(text: str) -> Decimal:
    """The number the digits and Korean place words say, in major units."""
    total, group, current = Decimal(0), Decimal(0), None
    last_large, last_small = None, None
    position, seen = 0, False
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _not_an_amount()
        position = match.end()
        seen = seen or match.lastgroup is not None
        if match["number"]:
            if current is not None:  # two numbers in a row: "1 000" or "3천 5"
                raise _not_an_amount()
            current = Decimal(match["number"].replace(",", ""))
        elif match["unit"] in SMALL:
            unit = SMALL[match["unit"]]
            if last_small is not None and unit >= last_small:
                raise _not_an_amount()
            group += (Decimal(1) if current is None else current) * unit
            current, last_small = None, unit
        elif match["unit"]:
            unit = LARGE[match["unit"]]
            if last_large is not None and unit >= last_large:
                raise _not_an_amount()
            group += current or 0
            if group == 0 and current is None:
                group = Decimal(1)  # "만 원"
            total += group * unit
            group, current, last_large, last_small = Decimal(0), None, unit, None
    if not seen:
        raise _not_an_amount()
    return total + group + (current or 0)


def parse_amount(text: str, currency: str) -> int:
    """Integer minor units of `currency` for what was typed; AmountError otherwise."""
    text = (text or "").strip()
    if not text or sum(ch.isdigit() for ch in text) > MAX_DIGITS:
        raise _not_an_amount()
    value = _value(_strip_currency(text, currency).strip())
    if value.adjusted() >= MAX_DIGITS:
        raise _not_an_amount()
    minor = value.scaleb(get_currency_precision(currency))
    if minor != minor.to_integral_value():
        raise AmountError(_l("Too many decimal places for %(currency)s.", currency=currency))
    return int(minor)


def amount_text(amount_minor: int | None, currency: str) -> str:
    """Minor units as a form shows them to edit: "30,000,000", "1,250.50"."""
    if amount_minor is None:
        return ""
    major = Decimal(int(amount_minor)).scaleb(-get_currency_precision(currency))
    return f"{major:,}"
