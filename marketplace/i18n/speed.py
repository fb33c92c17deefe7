"""Translations looked up once per request and per template, not once per string.

Flask-Babel finds the request's translations anew for every string: the request context, the
domain, the locale, the locale's name, a cache lookup. A browse page asks for some hundred
strings (its labels, each card's), which made that bookkeeping a large share of the page's
time. Here the request keeps the translations of its locale, and each template render binds its
`_()`/`gettext` to them once.
"""

from flask_babel import Domain, get_translations
from jinja2.ext import (
    _make_new_gettext,
    _make_new_ngettext,
    _make_new_npgettext,
    _make_new_pgettext,
)

_KEPT = "tto_translations"


class RequestCachedDomain(Domain):
    """Flask-Babel's domain, keeping each request's translations for as long as its locale
    stays the same (`force_locale` and `refresh()` change the locale, and so the translations)."""

    def get_translations(self):
        from flask_babel import _get_current_context, get_locale

        ctx = _get_current_context()
        if ctx is None:
            return super().get_translations()
        locale = get_locale()
        kept = getattr(ctx, _KEPT, None)
        if kept is not None and kept[0] is locale:
            return kept[1]
        translations = super().get_translations()
        setattr(ctx, _KEPT, (locale, translations))
        return translations


def template_gettext() -> dict:
    """The template's gettext functions, bound to this render's translations (the i18n
    extension resolves `_()` to the `gettext` in the template's context)."""
    translations = get_translations()
    return {
        "gettext": _make_new_gettext(translations.ugettext),
        "ngettext": _make_new_ngettext(translations.ungettext),
        "pgettext": _make_new_pgettext(translations.upgettext),
        "npgettext": _make_new_npgettext(translations.unpgettext),
    }


def init_app(app) -> None:
    from ..extensions import babel

    # Flask-Babel keeps its domain on the extension object (the app's directories are read per
    # app); the default one is made on first use, this one replaces it before.
    if not isinstance(babel.__dict__.get("domain_instance"), RequestCachedDomain):
        babel.domain_instance = RequestCachedDomain(
            domain=app.extensions["babel"].default_domain)
    app.context_processor(template_gettext)
