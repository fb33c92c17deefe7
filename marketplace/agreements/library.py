"""The contract template store: where templates are found (the repository's library, then
admins' uploads) and the exact version a contract was drafted with; admins add versions.

An upload is a .zip or the loose files of one template folder (``ko.html``, ``en.html``,
``fields.json``, ``sample.json``, ``style.css``), nothing else. It is checked before anything is
kept: size and names, UTF-8 text, valid JSON, the metadata's key, every variable used is declared
and every declared one used, the sample validates, and the sample renders to HTML in Korean,
English and both, and to a PDF (so the stylesheet and fonts load through the restricted
fetcher). It is then moved, in one rename, to ``CONTRACT_TEMPLATE_DIR/<key>/v<N>/`` with
``version`` set to the next number, and recorded in `TemplateVersion`. Contracts store the
version they were drafted with, so a new version changes no existing contract.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import time
import uuid
import zipfile
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from jinja2 import meta
from sqlalchemy.exc import IntegrityError

from ..clock import utcnow
from ..documents import DocumentError, list_templates, load_template, render_html, render_pdf
from ..documents.render import environment_for
from ..documents.templates import (
    CONTRACTS_ROOT,
    KEY_RE,
    ContractTemplate,
    available_versions,
    load_folder,
)
from ..errors import Conflict, DomainError, PermissionDenied
from ..extensions import db
from ..filestore import ORPHAN_MIN_AGE, ZIP_MAGIC, FileStore, safe_name
from .models import Contract, TemplateVersion

REQUIRED_FILES = ("ko.html", "en.html", "fields.json", "sample.json", "style.css")
MAX_FILE_BYTES = 256 * 1024
#: Uploads arrive as one .zip (checked as the other stores' files are: size, content, name) or
#: as the loose files; each kept version is a folder ``<key>/v<N>/`` of this store's directory,
#: since contracts name a template by key and version rather than by a file key.
UPLOADS = FileStore(dir_key="CONTRACT_TEMPLATE_DIR", max_bytes_key="CONTRACT_TEMPLATE_MAX_BYTES",
                    allowed=("zip",), field="files",
                    wrong_type=_l("Choose the template files or a .zip of them."))
#: Names the renderer provides itself, and the one variable the page layout always shows.
RENDER_NAMES = {"document"}
LAYOUT_NAMES = {"effective_date"}


def template_upload_dir() -> Path:
    return UPLOADS.directory()


def stale_staging(min_age=ORPHAN_MIN_AGE) -> list[Path]:
    """Staging folders that an upload stopped before its rename (a killed process) left."""
    staging = template_upload_dir() / ".staging"
    if not staging.is_dir():
        return []
    cutoff = time.time() - min_age.total_seconds()
    return [path for path in sorted(staging.iterdir())
            if path.is_dir() and path.stat().st_mtime < cutoff]


def template_roots() -> list[Path]:
    """Where contract templates are found: the repository's library, then admins' uploads."""
    roots = [CONTRACTS_ROOT]
    uploads = template_upload_dir()
    if uploads.is_dir():
        roots.append(uploads)
    return roots


def template_of(contract: Contract) -> ContractTemplate:
    """The exact template version the contract was drafted with."""
    return load_template(contract.template_key, contract.template_version,
                         roots=template_roots())


def _invalid(message, detail=None) -> DomainError:
    return DomainError(message, {"files": [detail or message]})


def keys() -> list[str]:
    return [t.key for t in list_templates(template_roots())]


def overview() -> list[dict]:
    """Every contract type with its versions (newest last) and who uploaded each."""
    uploads = {(v.key, v.version): v for v in db.session.scalars(sa.select(TemplateVersion))}
    rows = []
    for key in keys():
        versions = sorted(available_versions(key, template_roots()))
        latest = load_template(key, roots=template_roots())
        rows.append({"key": key, "title": latest.title, "versions": [
            {"version": n, "upload": uploads.get((key, n))} for n in versions]})
    return rows


def _collect(uploads: list[tuple[str, bytes]]) -> dict[str, bytes]:
    """The five files from a zip or loose uploads; size- and name-checked."""
    total = sum(len(data) for _, data in uploads)
    if not uploads or total == 0:
        raise _invalid(_l("Choose the template files or a .zip of them."))
    limit = UPLOADS.max_bytes()
    if total > limit:
        raise _invalid(_l("The upload is larger than %(kb)s KB.", kb=limit // 1024))
    if len(uploads) == 1 and uploads[0][1].startswith(ZIP_MAGIC):
        UPLOADS.check(*uploads[0])
        return _unzip(uploads[0][1])
    files = {}
    for name, data in uploads:
        base = safe_name(name)
        if base not in REQUIRED_FILES:
            raise _invalid(_l("Only ko.html, en.html, fields.json, sample.json and style.css "
                              "are accepted."))
        files[base] = data
    return files


def _unzip(data: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise _invalid(_l("The .zip file cannot be read.")) from None
    files = {}
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > len(REQUIRED_FILES):
            raise _invalid(_l("Only ko.html, en.html, fields.json, sample.json and style.css "
                              "are accepted."))
        for member in members:
            base = safe_name(member.filename)
            if base not in REQUIRED_FILES or base in files:
                raise _invalid(_l("Only ko.html, en.html, fields.json, sample.json and "
                                  "style.css are accepted."))
            if member.file_size > MAX_FILE_BYTES:
                raise _invalid(_l("Each file may be at most %(kb)s KB.",
                                  kb=MAX_FILE_BYTES // 1024))
            with archive.open(member) as handle:
                content = handle.read(MAX_FILE_BYTES + 1)
            if len(content) > MAX_FILE_BYTES:
                raise _invalid(_l("Each file may be at most %(kb)s KB.",
                                  kb=MAX_FILE_BYTES // 1024))
            files[base] = content
    return files


def _check_files(key: str, files: dict[str, bytes]) -> dict:
    missing = [name for name in REQUIRED_FILES if name not in files]
    if missing:
        raise _invalid(_l("Files are missing: %(names)s", names=", ".join(missing)))
    for name, data in files.items():
        if len(data) > MAX_FILE_BYTES:
            raise _invalid(_l("Each file may be at most %(kb)s KB.", kb=MAX_FILE_BYTES // 1024))
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid(_l("%(name)s is not UTF-8 text.", name=name)) from None
    try:
        meta_ = json.loads(files["fields.json"])
        json.loads(files["sample.json"])
    except ValueError as exc:
        raise _invalid(_l("A JSON file cannot be read: %(why)s", why=str(exc))) from None
    if not isinstance(meta_, dict) or meta_.get("key") != key:
        raise _invalid(_l("fields.json must name the key %(key)s.", key=key))
    stylesheet = meta_.get("stylesheet", "style.css")
    if stylesheet != "style.css":
        raise _invalid(_l("The stylesheet must be style.css."))
    return meta_


def _validate_folder(folder: Path) -> None:
    template = load_folder(folder)
    env = environment_for(template)
    for lang in ("ko", "en"):
        used = meta.find_undeclared_variables(env.parse(template.source(lang))) - RENDER_NAMES
        used |= LAYOUT_NAMES & set(template.fields) | set(template.parties)
        declared = set(template.fields)
        if used - declared:
            raise _invalid(_l("Variables used but not declared in fields.json: %(names)s",
                              names=", ".join(sorted(used - declared))))
        if declared - used:
            raise _invalid(_l("Variables declared but never used: %(names)s",
                              names=", ".join(sorted(declared - used))))
    sample = template.sample()
    template.validate(sample)
    for mode in ("ko", "en", "bilingual"):
        render_html(template, sample, lang=mode, contract_no="CHECK")
    render_pdf(template, sample, lang="bilingual", contract_no="CHECK")


def upload(actor, key: str, uploads: list[tuple[str, bytes]]) -> TemplateVersion:
    """Check an upload and keep it as the next version of `key` (flushes; caller commits)."""
    if not getattr(actor, "is_admin", False):
        raise PermissionDenied(_l("Only administrators manage contract templates."))
    if not isinstance(key, str) or not KEY_RE.match(key) or key not in keys():
        raise DomainError(_l("Choose a contract type."), {"key": [_l("Choose a contract type.")]})
    files = _collect(uploads)
    meta_ = _check_files(key, files)
    roots = template_roots()
    version = max(available_versions(key, roots)) + 1
    meta_["version"] = version
    files["fields.json"] = json.dumps(meta_, ensure_ascii=False, indent=2).encode("utf-8")
    root = template_upload_dir()
    staging = root / ".staging" / uuid.uuid4().hex
    staging.mkdir(parents=True)
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        try:
            _validate_folder(staging)
        except DocumentError as exc:
            detail = "; ".join(f"{k}: {v}" for k, v in sorted(exc.fields.items()))
            raise _invalid(_l("The template does not work: %(why)s",
                              why=f"{exc.message} ({detail})" if detail else exc.message)
                           ) from None
        digest = hashlib.sha256(b"".join(
            name.encode() + b"\0" + files[name] for name in sorted(files))).hexdigest()
        record = TemplateVersion(key=key, version=version, files_sha256=digest,
                                 uploaded_by_id=actor.id, created_at=utcnow())
        db.session.add(record)
        try:
            db.session.flush()
        except IntegrityError as exc:
            raise Conflict(_l("Another version was added meanwhile. Try again.")) from exc
        target = root / key / f"v{version}"
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            raise Conflict(_l("Another version was added meanwhile. Try again."))
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return record
