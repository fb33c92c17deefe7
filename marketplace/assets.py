"""Static files as a production site serves them: content-hashed names, cached for a year.

When the app is made, every static file (the app's, each blueprint's and the Bootstrap files the
pages load) is copied once into `STATIC_BUILD_DIR` under a name carrying a hash of its content
(`css/site.3f2a9c1b7d0e.css`), with gzip and brotli copies beside it. `url_for(<a static
endpoint>, filename=...)` then gives the hashed name, and WhiteNoise, in front of the app, serves
those files with `Cache-Control: public, max-age=<a year>, immutable` and the compressed copy the
browser asks for. A stylesheet's relative `url(...)` references (the web fonts) are rewritten to
the hashed names before the stylesheet itself is hashed. A changed file gets a new name, so no
browser keeps a stale one. The copies are content-addressed, so building again (another worker,
another start) writes nothing new.
"""

import hashlib
import os
import posixpath
import re
import tempfile
from pathlib import Path

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

YEAR = 365 * 24 * 3600
HASH_LENGTH = 12
HASHED_NAME = re.compile(rf"\.[0-9a-f]{{{HASH_LENGTH}}}(\.[^./]+)?$")
# Bootstrap-Flask ships whole themes and icon sets; the pages load only these.
BOOTSTRAP_FILES = ("css/bootstrap.min.css", "js/bootstrap.min.js", "umd/popper.min.js")
FAVICON = "img/favicon.ico"


def hashed_name(relative: str, content: bytes) -> str:
    """`css/site.css` -> `css/site.<first 12 hex digits of its sha256>.css`."""
    digest = hashlib.sha256(content).hexdigest()[:HASH_LENGTH]
    stem, dot, ext = relative.rpartition(".")
    if not dot or "/" in ext:
        return f"{relative}.{digest}"
    return f"{stem}.{digest}.{ext}"


def _sources(app: Flask) -> dict[str, tuple[Path, list[str]]]:
    """Static endpoint -> (its folder, the files under it that pages may link)."""
    sources = {}
    folders = {"static": app.static_folder}
    folders.update({f"{name}.static": bp.static_folder
                    for name, bp in app.blueprints.items() if bp.static_folder})
    for endpoint, folder in folders.items():
        if not folder or not os.path.isdir(folder):
            continue
        root = Path(folder)
        if endpoint == "bootstrap.static":
            files = [name for name in BOOTSTRAP_FILES if (root / name).is_file()]
        else:
            files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                           and not p.name.startswith("."))
        sources[endpoint] = (root, files)
    return sources


def _url_prefixes(app: Flask, endpoint: str) -> list[str]:
    """The URL paths under which `endpoint` serves its files (one per language when the rule
    carries the language)."""
    prefixes = []
    for rule in app.url_map.iter_rules(endpoint):
        path = rule.rule.replace("<path:filename>", "")
        if "<lang:lang_code>" in path:
            prefixes += [path.replace("<lang:lang_code>", lang) for lang in app.config["LANGUAGES"]]
        elif "<" not in path:
            prefixes.append(path)
    return prefixes


def _write_once(target: Path, content: bytes, compressor: Compressor) -> None:
    """Write a hashed copy and its compressed variants, unless an earlier build did."""
    if target.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    with os.fdopen(handle, "wb") as out:
        out.write(content)
    if compressor.should_compress(target.name):
        for variant in compressor.compress(temporary):
            os.replace(variant, str(target) + variant[len(temporary):])
    os.replace(temporary, target)  # last: the plain file marks the build of this name complete


# `url(../fonts/x.woff2)` in a stylesheet: relative references to files beside it.
CSS_URL = re.compile(r"""url\((['"]?)(?!data:|https?:|/)([^'")?#]+)([^'")]*)\1\)""")


def _link_hashed_urls(relative: str, css: bytes, names: dict[str, str]) -> bytes:
    """A stylesheet that refers to the hashed names of the files it loads (fonts, images), so
    those are cached as long as it is; built after them."""
    folder = posixpath.dirname(relative)

    def hashed(match):
        quote, target, rest = match.groups()
        resolved = posixpath.normpath(posixpath.join(folder, target))
        if resolved not in names:
            return match.group(0)
        new = posixpath.relpath(names[resolved], folder or ".")
        return f"url({quote}{new}{rest}{quote})"

    return CSS_URL.sub(hashed, css.decode("utf-8")).encode("utf-8")


def build(app: Flask) -> dict[str, dict[str, str]]:
    """Copy every source file to its hashed name; returns endpoint -> {name: hashed name}."""
    out = Path(app.config["STATIC_BUILD_DIR"])
    compressor = Compressor(quiet=True)
    manifest: dict[str, dict[str, str]] = {}
    for endpoint, (root, files) in _sources(app).items():
        names = manifest[endpoint] = {}
        # stylesheets last: they link the hashed names of what they load
        for relative in sorted(files, key=lambda name: name.endswith(".css")):
            content = (root / relative).read_bytes()
            if relative.endswith(".css") and endpoint != "bootstrap.static":
                content = _link_hashed_urls(relative, content, names)
            names[relative] = hashed_name(relative, content)
            _write_once(out / endpoint / names[relative], content, compressor)
    return manifest


def _cache_forever(headers, path: str, url: str) -> None:
    if HASHED_NAME.search(url):
        headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"


def init_app(app: Flask) -> None:
    """Build the hashed files, link them from `url_for` and serve them with WhiteNoise."""
    manifest = build(app)
    out = Path(app.config["STATIC_BUILD_DIR"])
    server = WhiteNoise(app.wsgi_app, max_age=None, add_headers_function=_cache_forever)
    for endpoint, names in manifest.items():
        hashed = set(names.values())
        for prefix in _url_prefixes(app, endpoint):
            for relative in hashed:
                server.add_file_to_dictionary(prefix + relative,
                                              str(out / endpoint / relative))
    # Browsers ask for /favicon.ico whatever the page links.
    icon = manifest.get("static", {}).get(FAVICON)
    if icon:
        server.add_file_to_dictionary("/favicon.ico", str(out / "static" / icon))
    app.wsgi_app = server
    app.extensions["static_manifest"] = manifest

    @app.url_defaults
    def link_hashed_names(endpoint, values):
        names = manifest.get(endpoint)
        if names and "filename" in values:
            values["filename"] = names.get(values["filename"], values["filename"])
