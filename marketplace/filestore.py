"""Uploaded files: one store that each feature only declares.

Usage: ``ATTACHMENTS = FileStore(dir_key="DEAL_ATTACHMENT_DIR", max_bytes_key=
"DEAL_ATTACHMENT_MAX_BYTES", allowed=("pdf", "png", "jpeg"), field="attachment",
wrong_type=_l("Only PDF, PNG and JPEG files are accepted, ..."))``; then ``checked =
ATTACHMENTS.check(filename, data)``, ``key = ATTACHMENTS.save(data)``, ``ATTACHMENTS.path(key)``.

A file's type is read from its content (the name must agree), never from its name alone.
Files are kept as ``<dir>/<first 2 chars of key>/<key>`` with a random key; the display name
is kept in the feature's row. A file is written before the row naming it commits, so a rollback
leaves it behind: ``orphans(named)`` finds such files once they are old enough to be sure.
"""

import hashlib
import re
import secrets
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from .errors import DomainError, NotFound


@dataclass(frozen=True)
class FileType:
    content_type: str
    extensions: tuple[str, ...]


# Every type any store accepts; each store allows its own subset.
TYPES = {
    "pdf": FileType("application/pdf", (".pdf",)),
    "png": FileType("image/png", (".png",)),
    "jpeg": FileType("image/jpeg", (".jpg", ".jpeg")),
    "docx": FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                     (".docx",)),
    "xlsx": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     (".xlsx",)),
    "pptx": FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation",
                     (".pptx",)),
    "hwpx": FileType("application/hwp+zip", (".hwpx",)),
    "zip": FileType("application/zip", (".zip",)),  # any other readable zip archive
}
MAGIC = ((b"%PDF-", "pdf"), (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"))
ZIP_MAGIC = b"PK\x03\x04"
ZIP_MARKERS = (("word/document.xml", "docx"), ("xl/workbook.xml", "xlsx"),
               ("ppt/presentation.xml", "pptx"), ("Contents/content.hpf", "hwpx"))

# A real Word, Excel or PowerPoint file holds tens to a few hundred parts, inflates to a few
# times its size and rarely past 10:1; a zip bomb is thousands of parts or a ratio of 1000:1.
MAX_ZIP_MEMBERS = 1000
MAX_ZIP_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ZIP_RATIO = 100
RATIO_FLOOR_BYTES = 1024 * 1024  # a small part may compress very well; only large ones count

MAX_NAME = 200
KEY_RE = re.compile(r"^[0-9a-f]{8,64}$")
ORPHAN_MIN_AGE = timedelta(hours=24)


def zip_member_names(data: bytes) -> list[str]:
    """The names in a zip upload, read from its directory without extracting anything.

    DomainError when the archive is broken or its declared sizes could inflate past the limits
    (in total, in parts, or by a compression ratio no document has)."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise DomainError(_l("The file is damaged: its ZIP structure cannot be read.")) from None
    unpacked = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    too_dense = any(m.file_size > RATIO_FLOOR_BYTES
                    and m.file_size > MAX_ZIP_RATIO * max(m.compress_size, 1) for m in members)
    if (len(members) > MAX_ZIP_MEMBERS or unpacked > MAX_ZIP_UNPACKED_BYTES or too_dense
            or unpacked > RATIO_FLOOR_BYTES and unpacked > MAX_ZIP_RATIO * max(packed, 1)):
        raise DomainError(_l("The file would unpack to far more than its size (it looks like a "
                             "zip bomb) and was refused."))
    return [m.filename for m in members]


def sniff(data: bytes, allowed: Iterable[str] = TYPES) -> str | None:
    """The file's type (a TYPES key) from its content, whatever its name says; None when it is
    none of `allowed`. Zip archives are only opened when an Office, HWPX or plain zip type is
    allowed; "zip" is a readable archive that is none of the others."""
    allowed = set(allowed)
    for signature, kind in MAGIC:
        if data.startswith(signature):
            return kind if kind in allowed else None
    if data.startswith(ZIP_MAGIC) and allowed & {"zip", *(kind for _, kind in ZIP_MARKERS)}:
        names = set(zip_member_names(data))
        for marker, kind in ZIP_MARKERS:
            if marker in names:
                return kind if kind in allowed else None
        return "zip" if "zip" in allowed else None
    return None


def safe_name(filename: str | None) -> str:
    """The display name of an upload: its last path part, without control characters."""
    name = Path((filename or "").replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable()).strip()[:MAX_NAME]
    return name if name not in ("", ".", "..") else "file"


def orphans_in(directory: Path, named: set[str],
               min_age: timedelta = ORPHAN_MIN_AGE) -> list[Path]:
    """Files in a store (``<dir>/<2 chars>/<key>``) that `named` lacks, older than `min_age`."""
    if not directory.is_dir():
        return []
    cutoff = time.time() - min_age.total_seconds()
    return [path for path in sorted(directory.glob("*/*"))
            if path.is_file() and path.name not in named and path.stat().st_mtime < cutoff]


@dataclass(frozen=True)
class CheckedFile:
    name: str  # safe display name
    kind: str  # a TYPES key
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class FileStore:
    """Where one feature keeps its uploads and what it accepts.

    `dir_key` and `max_bytes_key` name Config settings; `allowed` are TYPES keys; `field` is
    the form field a refusal is shown on; `wrong_type` is the feature's sentence for a file of
    another type (or whose content does not match its name)."""

    dir_key: str
    max_bytes_key: str
    allowed: tuple[str, ...]
    field: str
    wrong_type: object

    def __post_init__(self):
        unknown = set(self.allowed) - set(TYPES)
        if unknown:
            raise ValueError(f"unknown file types: {sorted(unknown)}")

    def directory(self) -> Path:
        return Path(current_app.config[self.dir_key])

    def max_bytes(self) -> int:
        return int(current_app.config[self.max_bytes_key])

    def _refuse(self, message) -> DomainError:
        return DomainError(message, {self.field: [message]})

    def check(self, filename: str | None, data: bytes) -> CheckedFile:
        """The checked upload, or a DomainError on `field`: empty, too large, or not an allowed
        type whose content matches the name's extension."""
        name = safe_name(filename)
        limit = self.max_bytes()
        if not data:
            raise self._refuse(_l("The file is empty."))
        if len(data) > limit:
            raise self._refuse(_l("The file is larger than %(mb)s MB.",
                                  mb=round(limit / 1024 / 1024, 1)))
        try:
            kind = sniff(data, self.allowed)
        except DomainError as exc:  # a broken zip or a zip bomb
            raise self._refuse(exc.message) from None
        if kind is None or not name.lower().endswith(TYPES[kind].extensions):
            raise self._refuse(self.wrong_type)
        return CheckedFile(name=name, kind=kind, content_type=TYPES[kind].content_type,
                           size=len(data), sha256=hashlib.sha256(data).hexdigest())

    def save(self, data: bytes) -> str:
        """Write `data` under a new random key and return the key (kept in the feature's row)."""
        key = secrets.token_hex(20)
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return key

    def path(self, key: str) -> Path:
        """The file of `key`; NotFound for anything but a key this store could have made."""
        if not isinstance(key, str) or not KEY_RE.match(key):
            raise NotFound(_l("The file does not exist."))
        root = self.directory().resolve()
        path = (root / key[:2] / key).resolve()
        if not path.is_relative_to(root):
            raise NotFound(_l("The file does not exist."))
        return path

    def orphans(self, named: set[str], min_age: timedelta = ORPHAN_MIN_AGE) -> list[Path]:
        """Files no row names (`named`: the keys the feature's rows hold), old enough to be
        sure no open transaction is about to name them."""
        return orphans_in(self.directory(), named, min_age)

    def sweep(self, named: set[str], min_age: timedelta = ORPHAN_MIN_AGE) -> int:
        """Delete the orphans; returns how many. Idempotent."""
        found = self.orphans(named, min_age)
        for path in found:
            path.unlink(missing_ok=True)
        return len(found)
