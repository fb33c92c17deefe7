"""Checks every upload shares (Office files are zip archives), and uploaded files that no row
names, swept away daily.

An upload is written to disk before the transaction that records it commits, so a rollback (a
refused form, a failed request) leaves a file behind that nothing points at. The daily job
removes such files from the listing and deal attachment stores once they are a day old: a
younger one may belong to a transaction that is still open.
"""

import time
import zipfile
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from . import jobs
from .errors import DomainError
from .extensions import db

MIN_AGE = timedelta(hours=24)

# A real Word, Excel or PowerPoint file holds tens to a few hundred parts, inflates to a few
# times its size and rarely past 10:1; a zip bomb is thousands of parts or a ratio of 1000:1.
MAX_ZIP_MEMBERS = 1000
MAX_ZIP_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ZIP_RATIO = 100
RATIO_FLOOR_BYTES = 1024 * 1024  # a small part may compress very well; only large ones count


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


def _stores():
    """(directory, column naming its files) of every attachment store."""
    from .deals.models import DealAttachment
    from .deals.services import attachment_dir as deal_attachments
    from .listings.models import Attachment
    from .listings.services import attachment_dir as listing_attachments

    return [(listing_attachments(), Attachment.storage_key),
            (deal_attachments(), DealAttachment.storage_name)]


def orphaned_files(min_age: timedelta = MIN_AGE) -> list[Path]:
    """Files in the stores (``<dir>/<2 chars>/<name>``) no row names, older than ``min_age``."""
    cutoff = time.time() - min_age.total_seconds()
    found = []
    for directory, column in _stores():
        if not directory.is_dir():
            continue
        named = set(db.session.scalars(sa.select(column)))
        for path in directory.glob("*/*"):
            if path.is_file() and path.name not in named and path.stat().st_mtime < cutoff:
                found.append(path)
    return found


@jobs.periodic(24 * 3600)
@jobs.job(queue="default", timeout=1800, retries=1)
def sweep_orphaned_files() -> int:
    """Delete the orphaned uploads; returns how many. Idempotent."""
    removed = 0
    for path in orphaned_files():
        path.unlink(missing_ok=True)
        removed += 1
    return removed
