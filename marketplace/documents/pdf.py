"""Contract PDFs with WeasyPrint: A4, PDF/A-3b, fonts the project names, nothing fetched freely.

Korean glyphs come from Debian's ``fonts-nanum`` files, named by ``@font-face`` with absolute
``file://`` URLs (Regular and Bold, so bold is real, never synthesised or borrowed from whatever
font a machine has). The URL fetcher lets WeasyPrint read exactly those font files and the files
inside the template's own folder; any other file, http(s), data: or ftp URL is refused and stops
the rendering. The variables (and clause edits, and signatures) travel inside the PDF as a JSON
attachment, so the signed file carries the Terms it was made from.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import hashlib
import json
import mimetypes
import threading
import warnings
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Unpack
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import pydyf
from weasyprint import CSS, HTML, Attachment
from weasyprint.css.counters import CounterStyle
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from .errors import DocumentError, TemplateInvalid
from .render import RenderOptions, check_signatures, render_html
from .templates import BASE_DIR, ContractTemplate

FONT_DIR = Path("/usr/share/fonts/truetype/nanum")
#: (CSS family, weight) -> font file. Everything a contract may use; nothing else is allowed.
FONTS = {
    ("Contract Sans", 400): FONT_DIR / "NanumGothic.ttf",
    ("Contract Sans", 700): FONT_DIR / "NanumGothicBold.ttf",
    ("Contract Mono", 400): FONT_DIR / "NanumGothicCoding.ttf",
    ("Contract Mono", 700): FONT_DIR / "NanumGothicCodingBold.ttf",
}
ATTACHMENT_NAME = "contract-terms.json"
PDF_VARIANT = "pdf/a-3b"


class URLRefused(ValueError):
    """The document asked for something outside its own folder and the font files."""


class ContractURLFetcher(URLFetcher):
    """Serve only `file:` URLs of the allowed font files and of files in `folder`.

    Anything else raises `URLRefused`; with ``fail_on_errors`` WeasyPrint turns that into a
    `FatalURLFetchingError` instead of quietly leaving a resource out.
    """

    def __init__(self, folder: Path, fonts: Mapping[Any, Path] = FONTS):
        super().__init__(allowed_protocols=("file",), allow_redirects=False, fail_on_errors=True)
        self.folder = Path(folder).resolve()
        self.fonts = frozenset(Path(path).resolve() for path in fonts.values())

    def allowed_path(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise URLRefused(f"refused URL (only the template's files and fonts): {url}")
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if path in self.fonts:
            return path
        if path.is_relative_to(self.folder) and path.is_file():
            return path
        raise URLRefused(f"refused file outside the template folder: {path}")

    def fetch(self, url, headers=None):
        path = self.allowed_path(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), path.read_bytes(), headers={"Content-Type": content_type}, status=200
        )


def font_face_css(fonts: Mapping[tuple[str, int], Path] = FONTS) -> str:
    missing = [str(path) for path in fonts.values() if not Path(path).is_file()]
    if missing:
        raise DocumentError(
            "contract font files are missing (install Debian's fonts-nanum)",
            {"fonts": ", ".join(missing)},
        )
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; font-weight: {weight}; font-style: normal;'
        f' src: url("{Path(path).resolve().as_uri()}"); }}'
        for (family, weight), path in fonts.items()
    )


@dataclass(frozen=True)
class RenderedContract:
    pdf: bytes
    sha256: str
    pages: int
    terms: dict[str, Any]


def terms_payload(template: ContractTemplate, variables: dict[str, Any],
                  options: RenderOptions) -> dict[str, Any]:
    """What the PDF carries as its JSON attachment (validated, JSON-shaped); `options` as given
    to `render_pdf`, with `render_html`'s defaults."""
    payload = {
        "template": template.key,
        "template_version": template.version,
        "language": options.get("lang", "ko"),
        "contract_no": str(options.get("contract_no", "DRAFT")),
        "contract_version": int(options.get("contract_version", 1)),
        "variables": template.validate(variables),
        "overrides": dict(options.get("overrides") or {}),
    }
    if options.get("signatures"):
        payload["signatures"] = check_signatures(options["signatures"])
    return payload


def _stamp(terms: dict[str, Any]) -> dt.datetime:
    """A fixed timestamp for the attachment, so the same input gives the same bytes and hash."""
    effective = terms["variables"].get("effective_date")
    day = dt.date.fromisoformat(effective) if effective else dt.date(2000, 1, 1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


@contextlib.contextmanager
def _collector_paused():
    """Hold off Python's cyclic garbage collector for one layout.

    A render allocates a few hundred thousand short-lived objects (boxes, styles, text
    lines); each time the allocation count crosses a threshold the collector walks every
    tracked object, including the cached fonts and stylesheets, and the full collections
    took close to a tenth of the render. Nothing a layout makes needs collecting before it
    ends; the collector runs as usual once it is back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _deflate_once(document, pdf: pydyf.PDF) -> None:
    """WeasyPrint's finisher: deflate each stream once, at zlib's default level, just before the
    file is written.

    pydyf deflates every stream at level 9, and does it twice: once to write it and once more to
    hash the whole file for its identifier, which PDF/A requires. For a licence that was about
    a twentieth of the render, for a file 3% smaller than this one. A stream that already
    names a filter, or holds anything but bytes, is left to pydyf.
    """
    for stream in pdf.objects:
        if (not isinstance(stream, pydyf.Stream) or not stream.compress
                or "Filter" in stream.extra
                or not all(isinstance(part, bytes) for part in stream.stream)):
            continue
        stream.stream = [zlib.compress(b"\n".join(stream.stream))]
        stream.extra["Filter"] = "/FlateDecode"
        stream.compress = False


@functools.lru_cache(maxsize=32)
def _styles(folder: Path):
    """The fetcher, font configuration, counter styles and parsed stylesheets of the contracts
    in `folder`, made once per process: parsing the fonts' CSS and the base stylesheet took a
    good part of every render. @font-face (and @counter-style) rules only count when their
    stylesheet and the layout share a FontConfiguration (CounterStyle); without it WeasyPrint
    silently uses the system's fonts. One layout at a time uses them (the lock)."""
    fetcher = ContractURLFetcher(folder)
    base_url = folder.as_uri() + "/"
    font_config = FontConfiguration()
    counter_style = CounterStyle()
    stylesheets = [
        CSS(string=css, base_url=base_url, url_fetcher=fetcher, font_config=font_config,
            counter_style=counter_style)
        for css in (font_face_css(), (BASE_DIR / "base.css").read_text(encoding="utf-8"))
    ]
    return fetcher, font_config, counter_style, stylesheets, threading.Lock()


def render_pdf(template: ContractTemplate, variables: dict[str, Any],
               **options: Unpack[RenderOptions]) -> RenderedContract:
    """Render the contract to PDF/A-3b bytes with the Terms embedded; also their SHA-256 hex.

    `options` are `render_html`'s. The same arguments give the same bytes (no clock or random
    id goes into the file).
    """
    html = render_html(template, variables, **options)
    terms = terms_payload(template, variables, options)
    stamp = _stamp(terms)
    base_url = template.path.as_uri() + "/"
    try:
        fetcher, font_config, counter_style, stylesheets, lock = _styles(template.path)
        attachment = Attachment(
            string=json.dumps(terms, ensure_ascii=False, sort_keys=True, indent=2),
            name=ATTACHMENT_NAME,
            description="Contract terms and variables (JSON)",
            created=stamp,
            modified=stamp,
            relationship="Data",
            url_fetcher=fetcher,
        )
        with lock, _collector_paused(), warnings.catch_warnings():
            document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
                stylesheets=stylesheets, font_config=font_config, counter_style=counter_style
            )
            # WeasyPrint 70 opens its sRGB profile for PDF/A and never closes the file.
            warnings.filterwarnings(
                "ignore", message=r"unclosed file .*sRGB2014\.icc", category=ResourceWarning
            )
            pdf = document.write_pdf(
                pdf_variant=PDF_VARIANT, attachments=[attachment], finisher=_deflate_once
            )
            pages = len(document.pages)
            # Dropped while the collector is still off, so what reference counting can free
            # is gone before it next runs and it walks only the cycles the layout left.
            del document
    except FatalURLFetchingError as exc:
        raise TemplateInvalid(
            "the contract asked for a resource it may not use",
            {template.key: str(exc.__cause__ or exc)},
        ) from exc
    return RenderedContract(
        pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), pages=pages, terms=terms
    )
