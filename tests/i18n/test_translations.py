"""Every message the code uses has a Korean and an English translation that keeps its
placeholders and HTML tags; catalogs hold no fuzzy entries."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from marketplace.i18n import catalogs

PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def _texts(message):
    return message if isinstance(message, tuple | list) else (message,)


def _packages_with_messages():
    return [p for p in catalogs.PACKAGES if any(m.id for m in catalogs.extract(p))]


@pytest.mark.parametrize("package", _packages_with_messages())
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_message_is_translated(package, lang):
    assert catalogs.po_path(package, lang).exists(), f"{package}: no {lang} catalog"
    catalog = catalogs.load(package, lang)
    problems = []
    for extracted in catalogs.extract(package):
        if not extracted.id:
            continue
        entry = catalog.get(extracted.id, extracted.context)
        if entry is None or not all(_texts(entry.string)):
            problems.append(f"missing: {extracted.id!r}")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy: {extracted.id!r}")
        for source, translated in zip(_texts(extracted.id), _texts(entry.string), strict=False):
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translated)):
                problems.append(f"placeholders differ: {source!r} -> {translated!r}")
            if sorted(TAG.findall(source)) != sorted(TAG.findall(translated)):
                problems.append(f"HTML tags differ: {source!r} -> {translated!r}")
    assert not problems, f"{package}/{lang}:\n" + "\n".join(problems)


def test_every_package_with_messages_has_a_catalog_entry_in_the_list():
    """A new feature package that shows text must be added to catalogs.PACKAGES."""
    root = catalogs.PACKAGE_ROOT
    covered = {catalogs.package_dir(p).name for p in catalogs.PACKAGES}
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    uncovered = set()
    for filename, _lineno, _message, _comments, _context in extract_from_dir(
            str(root), method_map, keywords=catalogs.KEYWORDS):
        top = Path(filename).parts[0]
        if len(Path(filename).parts) > 1 and top not in covered and top != "templates":
            uncovered.add(top)
    assert not uncovered, f"packages with messages but no catalog: {sorted(uncovered)}"
