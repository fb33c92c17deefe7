"""Dates and times shown and typed in the page's language.

Shown: "2026. 11. 30. 오후 5:30" on Korean pages, "Nov 30, 2026, 5:30 PM" on English ones, in
the configured time zone. CLDR's abbreviated Korean day period is "PM", so Korean times use the
wide one (오후).

Typed: a plain text field with the language's pattern as its hint, read leniently. A native
`<input type="date">` is not used: browsers format it by their own locale, not the page's.
"""

import re
from datetime import date, datetime
from functools import lru_cache

from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_time as babel_time
from flask_babel import get_locale, to_user_timezone
from flask_babel import lazy_gettext as _l

#: The day period written out in full where the abbreviated one is not the language's own.
WIDE_DAY_PERIOD = {"ko"}
#: How a date is typed, by language: (hint shown, how a date is written back into the field).
INPUT_PATTERNS = {"ko": ("YYYY. MM. DD.", "yyyy. MM. dd."), "en": ("MM/DD/YYYY", "MM/dd/yyyy")}


def _locale(locale=None) -> Locale:
    return Locale.parse(locale) if locale else (get_locale() or Locale.parse("ko"))


def _time_pattern(locale: Locale) -> str:
    pattern = locale.time_formats["short"].pattern
    if locale.language in WIDE_DAY_PERIOD:
        pattern = re.sub(r"(?<!a)a(?!a)", "aaaa", pattern)
    return pattern


def show_date(value, format: str = "medium", locale=None) -> str:
    """A date (or a moment's date in the configured zone); "short" reads as "medium" (a
    two-digit year is ambiguous)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()
    return _day(value, "medium" if format == "short" else format, _locale(locale))


# Babel takes a tenth of a millisecond per date; a page shows the same few days again and again.
@lru_cache(maxsize=8192)
def _day(value: date, format: str, locale: Locale) -> str:
    return babel_date(value, format, locale=locale)


def show_time(value: datetime, locale=None) -> str:
    loc = _locale(locale)
    return babel_time(to_user_timezone(value), _time_pattern(loc), locale=loc)


def show_datetime(value, format: str = "medium", locale=None) -> str:
    """A moment in the configured zone: the date ("long" for a long one, else "medium") and
    the time to the minute, joined as the language joins them."""
    if value is None:
        return ""
    loc = _locale(locale)
    moment = to_user_timezone(value)
    day = babel_date(moment, "long" if format in ("long", "full") else "medium", locale=loc)
    pattern = loc.datetime_formats["medium"]
    return pattern.replace("{1}", day).replace("{0}", show_time(moment, loc))


def input_hint(locale=None) -> str:
    """How a date is typed on this page: "YYYY. MM. DD." or "MM/DD/YYYY"."""
    return INPUT_PATTERNS.get(_locale(locale).language, INPUT_PATTERNS["ko"])[0]


def input_text(value: date | None, locale=None) -> str:
    """A date as its field shows it to edit."""
    if value is None:
        return ""
    loc = _locale(locale)
    pattern = INPUT_PATTERNS.get(loc.language, INPUT_PATTERNS["ko"])[1]
    return babel_date(value, pattern, locale=loc)


_YMD = re.compile(r"([0-9]{4})\s*[.\-/년]\s*([0-9]{1,2})\s*[.\-/월]\s*([0-9]{1,2})\s*[.일]?")
_COMPACT = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_MDY = re.compile(r"([0-9]{1,2})\s*[/\-.]\s*([0-9]{1,2})\s*[/\-.]\s*([0-9]{4})")


class DateInputError(ValueError):
    """Not a date; `message` is for the person who typed it."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def parse_date(text: str, locale=None) -> date:
    """A typed date: year first as Koreans and ISO write it ("2026. 11. 30.", "2026-11-30",
    "2026.11.30", "2026년 11월 30일", "20261130"), or month first ("11/30/2026") on English
    pages. ASCII digits only; DateInputError with the page's pattern otherwise."""
    text = (text or "").strip()
    parts = None
    for pattern in (_YMD, _COMPACT):
        match = pattern.fullmatch(text)
        if match:
            parts = tuple(int(p) for p in match.groups())
    if parts is None and _locale(locale).language == "en":
        match = _MDY.fullmatch(text)
        if match:
            month, day, year = (int(p) for p in match.groups())
            parts = (year, month, day)
    try:
        if parts is None:
            raise ValueError
        return date(*parts)
    except ValueError:
        raise DateInputError(_l("Enter the date as %(pattern)s (for example, %(example)s).",
                                pattern=input_hint(locale),
                                example=input_text(date(2026, 11, 30), locale))) from None
