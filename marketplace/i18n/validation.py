"""Translations for the validation messages marshmallow writes in English (shown by the
error handlers of every page and API response)."""

import re

from flask_babel import lazy_gettext as _l

FIXED = {
    "Missing data for required field.": _l("This field is required."),
    "Field may not be null.": _l("This field may not be empty."),
    "Unknown field.": _l("Unknown field."),
    "Not a valid integer.": _l("Not a valid whole number."),
    "Not a valid string.": _l("Not a valid text."),
    "Not a valid list.": _l("Not a valid list."),
    "Not a valid boolean.": _l("Not a valid yes/no value."),
    "Not a valid datetime.": _l("Not a valid date and time."),
    "Not a valid date.": _l("Not a valid date."),
    "Invalid input type.": _l("Not a valid value."),
    "Invalid value.": _l("Not a valid value."),
    "Invalid input.": _l("Not a valid value."),
    "Use a single line.": _l("Use a single line."),
    "This field is required.": _l("This field is required."),
    "Not a valid text.": _l("Not a valid text."),
}
PATTERNS = [
    (re.compile(r"^Must be one of: (?P<choices>.*)\.$"),
     lambda m: _l("Must be one of: %(choices)s.", choices=m["choices"])),
    (re.compile(r"^Must be greater than or equal to (?P<low>-?\d+) and less than or equal to "
                r"(?P<high>-?\d+)\.$"),
     lambda m: _l("Must be between %(low)s and %(high)s.", low=m["low"], high=m["high"])),
    (re.compile(r"^Longer than maximum length (?P<n>\d+)\.$"),
     lambda m: _l("Use at most %(n)s characters.", n=m["n"])),
]


def translate(message):
    """A marshmallow message in the active language (unknown ones are kept as they are)."""
    if isinstance(message, list):
        return [translate(m) for m in message]
    if isinstance(message, dict):
        return {key: translate(value) for key, value in message.items()}
    text = str(message)
    if text in FIXED:
        return str(FIXED[text])
    for pattern, render in PATTERNS:
        match = pattern.match(text)
        if match:
            return str(render(match))
    return text
