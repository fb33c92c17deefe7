"""The contract template library: one folder per contract type, each with its metadata.

A folder holds ``ko.html`` and ``en.html`` (Jinja), ``style.css``, ``fields.json`` (the version,
titles, parties and every variable with its type) and ``sample.json``. The top-level folder of a
type is its first version; a later version (for instance one uploaded by an admin) lives in any
sub-folder or any other root with the same ``key`` and a higher ``version`` in its metadata, so
old contracts keep rendering with the exact version they were made from.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .errors import TemplateInvalid, TemplateNotFound, VariablesInvalid
from .fields import LANGUAGES, FieldSpec, missing_languages

CONTRACTS_ROOT = Path(__file__).resolve().parents[2] / "contracts"
BASE_DIR = CONTRACTS_ROOT / "_base"
METADATA_FILE = "fields.json"
SAMPLE_FILE = "sample.json"
KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
CLAUSE_RE = re.compile(r"""\bclause\(\s*["']([a-z0-9_]+)["']""")
#: Names the renderer puts in every template's context; no variable may take them.
RESERVED_NAMES = frozenset({"document", "lang", "overrides"})
INCLUDE_RE = re.compile(r"""\{%-?\s*include\s+["']base/([A-Za-z0-9_.]+)["']""")


@dataclass(frozen=True)
class ContractTemplate:
    """A loaded, checked template folder. Immutable; safe to cache and share between threads."""

    key: str
    version: int
    path: Path
    title: dict[str, str]
    parties: tuple[str, ...]
    fields: dict[str, FieldSpec]
    stylesheet: str = "style.css"
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def source(self, lang: str) -> str:
        """Template source for one language, with the shared `base/` includes spelled out."""
        text = (self.path / f"{lang}.html").read_text(encoding="utf-8")
        return INCLUDE_RE.sub(lambda m: (BASE_DIR / m.group(1)).read_text(encoding="utf-8"), text)

    @cached_property
    def clause_ids(self) -> tuple[str, ...]:
        """Stable clause ids in document order (what staff overrides are keyed by)."""
        return tuple(dict.fromkeys(CLAUSE_RE.findall(self.source("ko"))))

    def sample(self) -> dict[str, Any]:
        return json.loads((self.path / SAMPLE_FILE).read_text(encoding="utf-8"))

    def validate(self, variables: dict[str, Any], langs: tuple[str, ...] = ()) -> dict[str, Any]:
        """Check a plain dict against the metadata; return its stored (JSON) form.

        Raises `VariablesInvalid` naming every missing, unknown or ill-typed variable at once;
        with `langs`, also every text lacking one of those languages (``field_of_use.ko``).
        """
        if not isinstance(variables, dict):
            raise VariablesInvalid("variables must be a mapping")
        errors: dict[str, str] = {}
        clean: dict[str, Any] = {}
        for name in sorted(set(variables) - set(self.fields)):
            errors[name] = "not a variable of this template"
        for name, spec in self.fields.items():
            value = variables.get(name)
            if value is None or value == "" or value == []:
                if spec.required:
                    errors[name] = "required"
                continue
            clean[name] = spec.check(value, name, errors)
            errors.update(dict.fromkeys(missing_languages(spec, clean[name], langs), "required"))
        if errors:
            raise VariablesInvalid(
                f"invalid variables for contract template {self.key} v{self.version}", errors
            )
        return clean


def _read_metadata(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TemplateInvalid(
            "unreadable template metadata", {str(folder / METADATA_FILE): str(exc)}
        ) from exc


def load_folder(folder: Path) -> ContractTemplate:
    """Load and check one template folder (metadata, both languages, stylesheet)."""
    folder = Path(folder).resolve()
    meta = _read_metadata(folder)
    key, version = meta.get("key"), meta.get("version")
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise TemplateInvalid("template key missing or malformed", {"key": repr(key)})
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise TemplateInvalid("template version must be a positive integer", {key: repr(version)})
    raw_fields = meta.get("fields")
    if not isinstance(raw_fields, dict) or not raw_fields:
        raise TemplateInvalid("template declares no fields", {key: "fields"})
    reserved = sorted(RESERVED_NAMES & set(raw_fields))
    if reserved:
        raise TemplateInvalid("variable names reserved by the renderer", {key: ", ".join(reserved)})
    fields = {name: FieldSpec.from_metadata(name, raw) for name, raw in raw_fields.items()}
    parties = tuple(meta.get("parties", ()))
    bad_parties = [p for p in parties if p not in fields or fields[p].type != "party"]
    if len(parties) < 2 or bad_parties:
        raise TemplateInvalid(
            "a contract needs at least two party fields", {key: ", ".join(bad_parties)}
        )
    title = meta.get("title", {})
    stylesheet = meta.get("stylesheet", "style.css")
    missing = [f"{lang}.html" for lang in LANGUAGES if not (folder / f"{lang}.html").is_file()]
    missing += [name for name in (stylesheet,) if not (folder / name).is_file()]
    missing += [f"title.{lang}" for lang in LANGUAGES if not title.get(lang)]
    if missing:
        raise TemplateInvalid("template folder incomplete", {key: ", ".join(missing)})
    template = ContractTemplate(
        key=key,
        version=version,
        path=folder,
        title=dict(title),
        parties=parties,
        fields=fields,
        stylesheet=stylesheet,
        metadata=meta,
    )
    ids = {lang: CLAUSE_RE.findall(template.source(lang)) for lang in LANGUAGES}
    if ids["ko"] != ids["en"]:
        raise TemplateInvalid(
            "Korean and English templates must have the same clauses in the same order",
            {key: f"ko={ids['ko']} en={ids['en']}"},
        )
    if len(set(ids["ko"])) != len(ids["ko"]):
        raise TemplateInvalid("clause ids must be unique", {key: ", ".join(ids["ko"])})
    return template


def _candidate_folders(key: str, roots: list[Path]):
    for root in roots:
        top = Path(root) / key
        if (top / METADATA_FILE).is_file():
            yield top
        if top.is_dir():
            for sub in sorted(top.iterdir()):
                if (sub / METADATA_FILE).is_file():
                    yield sub


def available_versions(key: str, roots: list[Path] | None = None) -> dict[int, Path]:
    versions: dict[int, Path] = {}
    for folder in _candidate_folders(key, roots or [CONTRACTS_ROOT]):
        meta = _read_metadata(folder)
        if meta.get("key") != key:
            continue
        version = meta.get("version")
        if version in versions:
            raise TemplateInvalid(
                "two folders claim the same template version",
                {f"{key} v{version}": f"{versions[version]} and {folder}"},
            )
        versions[version] = folder
    return versions


_cache: dict[tuple[str, int, tuple[str, ...]], ContractTemplate] = {}


def load_template(
    key: str, version: int | None = None, roots: list[Path] | None = None
) -> ContractTemplate:
    """The template `key` at `version` (default: the highest available).

    A contract stores the key and version it was made from and reloads exactly that one.
    """
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise TemplateNotFound("no such contract template", {"key": repr(key)})
    roots = [Path(r) for r in (roots or [CONTRACTS_ROOT])]
    versions = available_versions(key, roots)
    if not versions:
        raise TemplateNotFound("no such contract template", {"key": key})
    if version is None:
        version = max(versions)
    if version not in versions:
        raise TemplateNotFound(
            "no such contract template version", {"version": f"{key} v{version}"}
        )
    cache_key = (key, version, tuple(str(r) for r in roots))
    if cache_key not in _cache:
        _cache[cache_key] = load_folder(versions[version])
    return _cache[cache_key]


def list_templates(roots: list[Path] | None = None) -> list[ContractTemplate]:
    """The newest version of every contract type, sorted by key."""
    keys = set()
    for root in roots or [CONTRACTS_ROOT]:
        for folder in Path(root).iterdir():
            if folder.is_dir() and KEY_RE.match(folder.name):
                keys.add(folder.name)
    return [load_template(key, roots=roots) for key in sorted(keys)]
