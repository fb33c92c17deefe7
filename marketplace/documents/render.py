"""Contract HTML from a template folder and a plain dict, in a sandboxed Jinja environment.

Each language file (``ko.html`` / ``en.html``) defines the blocks ``title``, ``preamble``,
``articles`` and ``closing``; every article is a ``{% call clause("id", "title") %}`` so it has a
stable id. The blocks of each language are rendered separately and put together by
``_base/document.html``: one after the other for ``ko`` / ``en``, side by side, article by
article, for ``bilingual``. Articles are numbered after rendering (so an override or an optional
article never leaves a gap) and ``{{ "id"|ref }}`` becomes "제N조" / "Article N".
A Korean particle after a variable agrees with it: ``{{ licensor.name|josa("은/는") }}``; an
enum variable prints as its label in the document's language, never as its code.

Clause edits (``overrides``) are literal text, never templates: what the parties read and approve
is what the PDF says, word for word, with its paragraphs and line breaks and every character
escaped. Only the platform's own template files run in the sandbox.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from jinja2 import (
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    TemplateRuntimeError,
    pass_context,
)
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from . import korean_particles
from .errors import DocumentError, OverridesInvalid, SignaturesInvalid, TemplateInvalid
from .fields import (
    LANGUAGES,
    LOCALES,
    format_date_value,
    format_money,
    format_number,
    format_percent_value,
    localise,
    multiply_money,
)
from .templates import BASE_DIR, ContractTemplate

MODES = ("ko", "en", "bilingual")
BLOCKS = ("title", "preamble", "articles", "closing")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
SIGNATURE_KEYS = frozenset(
    {"name", "organisation", "email", "party", "signed_at", "ip", "method", "document_sha256"}
)
_CLAUSE_RE = re.compile(r"<!--clause:([a-z0-9_]+)-->(.*?)<!--/clause-->", re.S)
_REF_RE = re.compile(r"<!--ref:([a-z0-9_]+)-->")
_ARTNO = "<!--artno-->"
_ARTICLE_LABEL = {"ko": "제{n}조", "en": "Article {n}"}
_LIST_TAG_RE = re.compile(r"<(/?)(ol|ul|li)\b[^>]*>")
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮"
GANADA = "가나다라마바사아자차카타파하"
#: Signature times on the certificate page: Korean law and both parties read them in Seoul time.
CERTIFICATE_TZ = ZoneInfo("Asia/Seoul")


def _labels() -> dict[str, dict[str, str]]:
    return json.loads((BASE_DIR / "labels.json").read_text(encoding="utf-8"))


def _lang(ctx) -> str:
    return ctx.get("lang", "ko")


class Coded(str):
    """An enum variable in a template: compares as its code, prints as its label.

    ``{% if dispute_resolution == "court" %}`` still tests the code, while
    ``{{ dispute_resolution }}`` (in a template or a staff clause edit) shows "법원 소송", never
    "court".
    """

    label: str

    def __new__(cls, code: str, label: str):
        value = super().__new__(cls, code)
        value.label = label
        return value

    def __str__(self) -> str:
        return self.label

    def __html__(self) -> str:
        return str(escape(self.label))


def _coded(template: ContractTemplate, variables: dict, lang: str) -> dict:
    """`variables` with every enum value wrapped as `Coded` with its label in `lang`."""
    out = dict(variables)
    for name, spec in template.fields.items():
        if spec.type == "enum" and out.get(name) is not None:
            out[name] = Coded(out[name], spec.labels[lang][out[name]])
    return out


def josa(value, name: str) -> Markup:
    """`value` followed by the Korean particle `name` ("은/는", "으로", ...) agreeing with it."""
    text = value.striptags() if isinstance(value, Markup) else str(value)
    try:
        return escape(value) + korean_particles.particle(text, name)
    except ValueError as exc:
        raise TemplateRuntimeError(str(exc)) from exc


def _in_document_language(format_value):
    """A filter giving `format_value(value, lang)` in the language of the text being rendered."""
    @pass_context
    def in_language(ctx, value):
        return format_value(value, _lang(ctx))
    return in_language


def make_environment(template: ContractTemplate) -> ImmutableSandboxedEnvironment:
    """A sandboxed, autoescaping environment that sees only this template folder and `_base`."""
    env = ImmutableSandboxedEnvironment(
        loader=PrefixLoader(
            {"tpl": FileSystemLoader(template.path), "base": FileSystemLoader(BASE_DIR)}
        ),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    fields = template.fields

    @pass_context
    def label(ctx, value, name):
        spec = fields[name]
        return spec.labels[_lang(ctx)][value]

    def ref(clause_id):
        return Markup(f"<!--ref:{escape(clause_id)}-->")

    def paras(text):
        return _paragraphs(escape(text))

    env.filters.update(
        label=label,
        money=_in_document_language(format_money),
        date=_in_document_language(format_date_value),
        percent=_in_document_language(format_percent_value),
        number=_in_document_language(format_number),
        ref=ref,
        paras=paras,
        times=multiply_money,
        josa=josa,
    )
    return env


_environments: dict[tuple[str, int, str], ImmutableSandboxedEnvironment] = {}


def environment_for(template: ContractTemplate) -> ImmutableSandboxedEnvironment:
    key = (template.key, template.version, str(template.path))
    if key not in _environments:
        _environments[key] = make_environment(template)
    return _environments[key]


def _paragraphs(markup: str) -> Markup:
    """Escaped text with blank-line paragraphs and single line breaks kept."""
    parts = [p.strip() for p in re.split(r"\n\s*\n", str(markup).strip()) if p.strip()]
    return Markup("".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in parts))


def check_overrides(template: ContractTemplate, overrides: Mapping[str, Any] | None) -> dict:
    overrides = dict(overrides or {})
    errors = {}
    for clause_id, text in overrides.items():
        if clause_id not in template.clause_ids:
            errors[clause_id] = "no clause with this id in the template"
        elif not (
            isinstance(text, str)
            or (
                isinstance(text, dict)
                and "ko" in text
                and set(text) <= set(LANGUAGES)
                and all(isinstance(t, str) for t in text.values())
            )
        ):
            errors[clause_id] = 'expected text or {"ko": ..., "en": ...}'
    if errors:
        raise OverridesInvalid("invalid clause overrides", errors)
    return overrides


def _render_overrides(overrides: dict, lang: str) -> dict[str, Markup]:
    """Each edited clause body as escaped paragraphs of its literal text."""
    return {
        clause_id: _paragraphs(escape(localise(text, lang)))
        for clause_id, text in overrides.items()
    }


def _list_marker(lang: str, depth: int, index: int) -> str:
    """The number of item `index` (from 1) of a list nested `depth` deep (from 1), with the space
    after it: ① in Korean and 1. in English, 가. and 1. one level down."""
    if lang == "ko" and depth <= 1 and index <= len(CIRCLED):
        return f"{CIRCLED[index - 1]} "
    if lang == "ko" and depth > 1 and index <= len(GANADA):
        return f"{GANADA[index - 1]}. "
    return f"{index}. "


def _number_list_items(html: str, lang: str) -> str:
    """Write each numbered (`ol`) list item's number into its text, as the first words of
    the item; a bulleted (`ul`) list, even inside a numbered one, is left to its bullets.

    The stylesheet hangs the number in the list's padding; numbering with CSS (outside markers
    or a ::before) made WeasyPrint build, style and lay out an extra box for every item, a good
    part of a contract's render.
    """
    counts: list[int | None] = []  # per open list: items so far, None for a bulleted one

    def number(match):
        closing, tag = match.group(1), match.group(2)
        if tag != "li":
            if closing:
                counts.pop()
            else:
                counts.append(0 if tag == "ol" else None)
        elif not closing and counts and counts[-1] is not None:
            counts[-1] += 1
            depth = sum(1 for count in counts if count is not None)
            return match.group(0) + _list_marker(lang, depth, counts[-1])
        return match.group(0)

    return _LIST_TAG_RE.sub(number, html)


def _number_articles(html: str, lang: str) -> list[tuple[str, Markup]]:
    clauses = _CLAUSE_RE.findall(html)
    numbers = {clause_id: index for index, (clause_id, _) in enumerate(clauses, start=1)}
    label = _ARTICLE_LABEL[lang]

    def resolve(match):
        if match.group(1) not in numbers:
            raise TemplateInvalid("reference to a missing article", {match.group(1): lang})
        return label.format(n=numbers[match.group(1)])

    return [
        (clause_id, Markup(_REF_RE.sub(resolve, body.replace(_ARTNO, label.format(n=n)))))
        for n, (clause_id, body) in enumerate(clauses, start=1)
    ]


def _language_parts(
    template: ContractTemplate, clean: dict, overrides: dict, lang: str, document: dict
) -> dict[str, Any]:
    env = environment_for(template)
    context = {name: None for name in template.fields}
    context.update(_coded(template, localise(clean, lang), lang))
    context["document"] = document
    context["lang"] = lang
    context["overrides"] = _render_overrides(overrides, lang)
    tmpl = env.get_template(f"tpl/{lang}.html")
    parts: dict[str, Any] = {}
    try:
        for block in BLOCKS:
            render_block = tmpl.blocks.get(block)
            text = "".join(render_block(tmpl.new_context(context))) if render_block else ""
            parts[block] = Markup(text)
    except SecurityError as exc:
        raise TemplateInvalid(
            "template tried something the sandbox forbids", {template.key: str(exc)}
        ) from exc
    except TemplateError as exc:
        raise TemplateInvalid("template does not render", {template.key: str(exc)}) from exc
    parts["articles"] = _number_articles(_number_list_items(parts["articles"], lang), lang)
    parts["articles_html"] = Markup("").join(body for _, body in parts["articles"])
    parts["vars"] = context
    return parts


def check_signatures(signatures: list[dict] | None) -> list[dict]:
    """Signatures for the certificate page: who signed, when, from where, which document."""
    clean, errors = [], {}
    for index, sig in enumerate(signatures or []):
        where = f"signatures[{index}]"
        if not isinstance(sig, dict):
            errors[where] = "expected a mapping"
            continue
        unknown = sorted(set(sig) - SIGNATURE_KEYS)
        if unknown:
            errors[where] = f"unknown keys {', '.join(unknown)}"
        for key in ("name", "signed_at", "ip", "document_sha256"):
            if not sig.get(key):
                errors[f"{where}.{key}"] = "required"
        signed_at = sig.get("signed_at")
        if signed_at:
            try:
                moment = (
                    signed_at
                    if isinstance(signed_at, dt.datetime)
                    else dt.datetime.fromisoformat(signed_at)
                )
                if moment.tzinfo is None:
                    raise ValueError("no time zone")
            except (TypeError, ValueError):
                errors[f"{where}.signed_at"] = "expected an ISO date-time with a time zone"
        if sig.get("ip"):
            try:
                ipaddress.ip_address(sig["ip"])
            except ValueError:
                errors[f"{where}.ip"] = "not an IP address"
        if sig.get("document_sha256") and not SHA256_RE.match(str(sig["document_sha256"])):
            errors[f"{where}.document_sha256"] = "expected 64 lowercase hex digits"
        clean.append(
            {
                key: (value.isoformat() if isinstance(value, dt.datetime) else value)
                for key, value in sig.items()
            }
        )
    if errors:
        raise SignaturesInvalid("invalid signatures", errors)
    return clean


def signing_time(signed_at: str, lang: str) -> str:
    """A signature's time in Seoul with its offset: ``2026-11-30 17:30:05 (UTC+09:00)``."""
    return format_datetime(
        dt.datetime.fromisoformat(signed_at),
        format="yyyy-MM-dd HH:mm:ss '(UTC'xxx')'",
        tzinfo=CERTIFICATE_TZ,
        locale=LOCALES[lang],
    )


def _certificate_rows(
    template: ContractTemplate, signatures: list[dict], lang: str, labels: dict
) -> list[dict]:
    """The signatures as the certificate page shows them in `lang`: a known signing method
    (``password_and_name``) in words, times in Seoul, the party's role in the contract."""
    methods = labels[lang]["methods"]
    rows = []
    for sig in signatures:
        row = {**localise(sig, lang), "signed_at": signing_time(sig["signed_at"], lang)}
        if isinstance(row.get("method"), str) and row["method"] in methods:
            row["method"] = methods[row["method"]]
        if sig.get("party") in template.parties:
            row["role"] = template.fields[sig["party"]].label[lang]
        rows.append(row)
    return rows


class RenderOptions(TypedDict, total=False):
    """`render_html`'s keyword arguments, which `render_pdf` takes too."""

    lang: str
    overrides: Mapping[str, Any] | None
    contract_no: str
    contract_version: int
    prevailing_language: str
    signatures: list[dict] | None


def render_html(
    template: ContractTemplate,
    variables: dict[str, Any],
    *,
    lang: str = "ko",
    overrides: Mapping[str, Any] | None = None,
    contract_no: str = "DRAFT",
    contract_version: int = 1,
    prevailing_language: str = "ko",
    signatures: list[dict] | None = None,
) -> str:
    """The complete contract as an HTML string (what `render_pdf` lays out).

    `lang` is ``ko``, ``en`` or ``bilingual``; `overrides` maps clause ids to replacement
    text, either one text for every language or ``{"ko": ..., "en": ...}`` (a bilingual
    document needs the latter to keep its columns in their languages); `signatures` adds a
    certificate page (see `check_signatures`).
    """
    if lang not in MODES:
        raise DocumentError("unknown document language", {"lang": repr(lang)})
    if prevailing_language not in LANGUAGES:
        raise DocumentError(
            "unknown prevailing language", {"prevailing_language": repr(prevailing_language)}
        )
    langs = LANGUAGES if lang == "bilingual" else (lang,)
    clean = template.validate(variables, langs=langs)
    overrides = check_overrides(template, overrides)
    signatures = check_signatures(signatures)
    document = {
        "bilingual": lang == "bilingual",
        "prevailing_language": prevailing_language,
        "contract_no": str(contract_no),
        "contract_version": int(contract_version),
    }
    parts = {code: _language_parts(template, clean, overrides, code, document) for code in langs}
    order = [clause_id for clause_id, _ in parts[langs[0]]["articles"]]
    by_id = {code: dict(parts[code]["articles"]) for code in langs}
    labels = _labels()
    layout = environment_for(template).get_template("base/document.html")
    return layout.render(
        mode=lang,
        langs=langs,
        labels=labels,
        document=document,
        template_key=template.key,
        template_version=template.version,
        titles={code: template.title[code] for code in langs},
        parts=parts,
        rows=[{code: by_id[code].get(cid, "") for code in langs} for cid in order],
        parties=[
            {
                "label": template.fields[name].label,
                "by_lang": {code: parts[code]["vars"][name] for code in langs},
            }
            for name in template.parties
        ],
        effective_date={code: format_date_value(clean["effective_date"], code) for code in langs}
        if "effective_date" in clean
        else None,
        certificate={
            code: _certificate_rows(template, signatures, code, labels) for code in langs
        }
        if signatures
        else None,
        stylesheet=template.stylesheet,
    )
