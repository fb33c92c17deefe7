"""The language an answer's titles and texts are written in: `?lang=`, else the caller's."""

from contextlib import contextmanager

from flask import request
from flask_babel import force_locale
from marshmallow import fields, validate

from ..mail.services import reading_language
from .auth import api_user

LANGUAGES = ["ko", "en"]


def lang_field(description: str | None = None, **kwargs) -> fields.String:
    """A `lang` of the query or the body: ko or en."""
    metadata = {"description": description} if description else {}
    return fields.String(validate=validate.OneOf(LANGUAGES), metadata=metadata, **kwargs)


#: The `lang` of a query whose answer has titles.
TITLES_LANG = lang_field("language of the titles (default: the user's language)")


def accepted_language() -> str:
    """The request's Accept-Language, else Korean."""
    return request.accept_languages.best_match(LANGUAGES) or "ko"


def _readers_language() -> str:
    return reading_language(api_user())


@contextmanager
def answer_language(query: dict | None = None, fallback=_readers_language):
    """Gives the language asked by `?lang=` (else `fallback()`: the language the caller reads),
    with the answer's translations in it."""
    lang = (query or {}).get("lang") or fallback()
    with force_locale(lang):
        yield lang
