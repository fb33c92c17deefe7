"""Uploaded files that no row names, swept away daily.

An upload is written to disk before the transaction that records it commits, so a rollback (a
refused form, a failed request) leaves a file behind that nothing points at. The daily job
removes such files from the listing and deal attachment stores and the logo store once they
are a day old: a younger one may belong to a transaction that is still open. Contract template
uploads are checked in a staging folder that is renamed into place or removed; one left by a
process killed in between is removed too.
"""

import shutil
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from . import jobs
from .extensions import db
from .filestore import ORPHAN_MIN_AGE, orphans_in

MIN_AGE = ORPHAN_MIN_AGE


def _stores():
    """(directory, column naming its files) of every attachment store."""
    from .accounts.profiles import LOGOS, OrganisationProfile
    from .deals.messages import ATTACHMENTS as deal_attachments
    from .deals.messages import DealAttachment
    from .listings.attachments import ATTACHMENTS as LISTING_ATTACHMENTS
    from .listings.models import Attachment

    return [(LISTING_ATTACHMENTS.directory(), Attachment.storage_key),
            (deal_attachments.directory(), DealAttachment.storage_name),
            (LOGOS.directory(), OrganisationProfile.logo_key)]


def orphaned_files(min_age: timedelta = MIN_AGE) -> list[Path]:
    """Files in the stores (``<dir>/<2 chars>/<name>``) no row names, older than ``min_age``."""
    found = []
    for directory, column in _stores():
        if directory.is_dir():
            found += orphans_in(directory, set(db.session.scalars(sa.select(column))), min_age)
    return found


@jobs.periodic(24 * 3600)
@jobs.job(queue="default", timeout=1800, retries=1)
def sweep_orphaned_files() -> int:
    """Delete the orphaned uploads; returns how many. Idempotent."""
    from .agreements.library import stale_staging

    removed = 0
    for path in orphaned_files():
        path.unlink(missing_ok=True)
        removed += 1
    for folder in stale_staging(MIN_AGE):
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed
