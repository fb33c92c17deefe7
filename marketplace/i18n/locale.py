"""Which language a request is served in, and `/ko/...` / `/en/...` URL prefixes.

Order: the URL prefix, then the signed-in user's preference, then the `lang` cookie, then
`Accept-Language`, then Korean.
"""

from flask import current_app, g, request, url_for
from flask_login import current_user
from werkzeug.routing import BaseConverter

LANG_COOKIE = "lang"


class LangConverter(BaseConverter):
    regex = "ko|en"


def languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def preferred_locale() -> str:
    """The language to use when the URL does not say."""
    langs = languages()
    user_lang = getattr(current_user, "preferred_language", None) if current_user else None
    if user_lang in langs:
        return user_lang
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in langs:
        return cookie
    return request.accept_languages.best_match(langs) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_locale() -> str:
    lang = g.get("lang_code")
    if lang:
        return lang
    try:
        # A page that matched no route (a 404 under /en/...) still speaks its prefix's language.
        prefix = request.path.strip("/").split("/", 1)[0]
        if prefix in languages():
            return prefix
        return preferred_locale()
    except RuntimeError:  # outside a request (CLI, jobs)
        return current_app.config["BABEL_DEFAULT_LOCALE"]


def pull_lang_code(endpoint, values) -> None:
    if values and "lang_code" in values:
        g.lang_code = values.pop("lang_code")


def add_lang_code(endpoint, values) -> None:
    if "lang_code" in values or not endpoint:
        return
    if current_app.url_map.is_endpoint_expecting(endpoint, "lang_code"):
        values["lang_code"] = g.get("lang_code") or select_locale()


def remember_lang(response):
    """Keep the language of the last prefixed page in a cookie for `/` and error pages."""
    lang = g.get("lang_code")
    if lang and request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def switch_language_url(lang: str) -> str:
    """The current page in another language (same endpoint, arguments and query)."""
    endpoint = request.endpoint
    if endpoint and current_app.url_map.is_endpoint_expecting(endpoint, "lang_code"):
        args = dict(request.view_args or {})
        args.update(request.args.to_dict(flat=True))
        args["lang_code"] = lang
        return url_for(endpoint, **args)
    return url_for("pages.home", lang_code=lang)


def init_app(app) -> None:
    app.url_map.converters["lang"] = LangConverter
    app.url_value_preprocessor(pull_lang_code)
    app.url_defaults(add_lang_code)
    app.after_request(remember_lang)
    app.context_processor(lambda: {"switch_language_url": switch_language_url,
                                   "current_lang": select_locale()})
