"""Amounts in the reader's terms: beside a won amount an English page shows about how many US
dollars it is, and a Korean page shows about how many won a dollar amount is, at the configured
rate (USD_KRW_RATE, taken on USD_KRW_RATE_DATE) and always marked as approximate.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, format_decimal
from flask import current_app
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from .formatting import minor_to_major, money

#: The currency a page's readers think in, and the one an amount of it is converted from.
READER_CURRENCY = {"en": "USD", "ko": "KRW"}
#: Figures are rounded to this many significant digits: an approximation should look like one.
SIGNIFICANT = 3


def rate() -> Decimal | None:
    """Won per US dollar, or None when no rate is configured."""
    try:
        value = Decimal(str(current_app.config["USD_KRW_RATE"]))
    except InvalidOperation:
        raise RuntimeError("USD_KRW_RATE must be a number") from None
    return value if value.is_finite() and value > 0 else None


def _round(value: Decimal) -> Decimal:
    if value == 0:
        return value
    exponent = value.adjusted() - SIGNIFICANT + 1
    return value.scaleb(-exponent).quantize(Decimal(1), ROUND_HALF_UP).scaleb(exponent)


def _figure(value: Decimal, currency: str, locale) -> str:
    if currency == "USD":  # "US$" even on English pages: beside won, "$" alone is unclear
        return format_decimal(value, format="US$#,##0", locale=locale)
    return format_currency(value, currency, format="¤#,##0", currency_digits=False,
                           locale=locale)


def approximate(amount_minor: int, currency: str, lang: str | None = None) -> str | None:
    """"≈ US$35,700" for ₩50,000,000 on an English page; None when nothing is to be shown."""
    locale = get_locale()
    lang = lang or (locale.language if locale else "ko")
    target = READER_CURRENCY.get(lang)
    per_usd = rate()
    if per_usd is None or target is None or {currency, target} != {"USD", "KRW"}:
        return None
    major = minor_to_major(amount_minor, currency)
    value = major / per_usd if target == "USD" else major * per_usd
    return "≈ " + _figure(_round(value), target, locale)


def rate_note() -> str:
    """What an approximate figure is based on, as one sentence."""
    taken = date.fromisoformat(current_app.config["USD_KRW_RATE_DATE"])
    return _("Approximate, at %(rate)s to US$1 on %(date)s.",
             rate=format_currency(rate(), "KRW", format="¤#,##0.##", currency_digits=False,
                                  locale=get_locale()),
             date=format_date(taken, "medium"))


def money_with_approximate(amount_minor: int | None, currency: str) -> Markup:
    """The `money` filter for pages: the amount, then its approximate figure in the reader's
    currency with the rate and its date for pointers and screen readers."""
    if amount_minor is None:
        return Markup("")
    config = current_app.config
    return _with_approximate(int(amount_minor), currency, get_locale(),
                             str(config["USD_KRW_RATE"]), config["USD_KRW_RATE_DATE"])


# Formatting an amount, its approximate figure and the rate's note takes Babel most of a
# millisecond; a page shows the same few prices, so each is remembered per locale and rate
# (the rate and its date are in the key, so a changed setting shows at once).
@lru_cache(maxsize=4096)
def _with_approximate(amount_minor: int, currency: str, locale, _rate: str,
                      _rate_date: str) -> Markup:
    text = money(amount_minor, currency)
    approx = approximate(amount_minor, currency)
    if approx is None:
        return escape(text)
    note = rate_note()
    return Markup('{} <small class="money-approx text-muted" title="{}">({}<span '
                  'class="visually-hidden">; {}</span>)</small>').format(
        text, note, approx, note)
