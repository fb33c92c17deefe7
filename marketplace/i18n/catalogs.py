"""Translation catalogs: one per feature package, merged by Flask-Babel at run time.

Each package that shows text keeps `translations/{ko,en}/LC_MESSAGES/messages.po`, so features
grow their catalogs independently. The "core" catalog (in `i18n/translations`) covers the
top-level modules, the shared templates and this package. Source strings are English.
"""

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
CORE = "core"
# Packages with user-facing text, in merge order (the first one wins on a duplicate msgid).
PACKAGES = (CORE, "pages", "accounts", "staff", "mail", "listings", "matching", "deals",
            "payments", "api", "agreements", "stats", "notifications", "translation_requests",
            "introductions", "questions", "saved", "desk")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def package_dir(package: str) -> Path:
    return PACKAGE_ROOT / ("i18n" if package == CORE else package)


def translations_dir(package: str) -> Path:
    return package_dir(package) / "translations"


def existing_packages() -> list[str]:
    return [p for p in PACKAGES if translations_dir(p).is_dir()]


def babel_directories() -> str:
    """The value for BABEL_TRANSLATION_DIRECTORIES, relative to the app's root path."""
    return ";".join(str(translations_dir(p).relative_to(PACKAGE_ROOT)) for p in existing_packages())


def _sources(package: str):
    if package == CORE:
        method_map = [("*.py", "python"), ("templates/**.html", "jinja2"),
                      ("i18n/**.py", "python")]
        return PACKAGE_ROOT, method_map
    return package_dir(package), [("**.py", "python"), ("templates/**.html", "jinja2")]


def extract(package: str) -> Catalog:
    """Every message the package's code and templates use, as a fresh catalog."""
    root, method_map = _sources(package)
    catalog = Catalog(project="tech-trade-on", charset="utf-8")
    skip = {"translations", "__pycache__", "static"}
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root), method_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
        directory_filter=lambda d: Path(d).name not in skip,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(package: str, lang: str) -> Path:
    return translations_dir(package) / lang / "LC_MESSAGES" / "messages.po"


def load(package: str, lang: str) -> Catalog:
    with po_path(package, lang).open("rb") as fh:
        return read_po(fh, locale=lang)


def update(package: str, languages=("ko", "en")) -> None:
    """Merge newly extracted messages into the package's catalogs, creating them if needed."""
    template = extract(package)
    for lang in languages:
        path = po_path(package, lang)
        if path.exists():
            catalog = load(package, lang)
            catalog.update(template, no_fuzzy_matching=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=lang, project="tech-trade-on", charset="utf-8")
            catalog.update(template, no_fuzzy_matching=True)
        if lang == "en":  # source strings are English: fill the English catalog with them
            for message in catalog:
                if message.id and not message.string:
                    message.string = message.id
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, ignore_obsolete=True)


def compile_all() -> list[Path]:
    written = []
    for package in existing_packages():
        for lang in ("ko", "en"):
            if not po_path(package, lang).exists():
                continue
            catalog = load(package, lang)
            mo = po_path(package, lang).with_suffix(".mo")
            with mo.open("wb") as fh:
                write_mo(fh, catalog)
            written.append(mo)
    return written
