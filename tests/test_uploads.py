"""Uploads that a rolled-back transaction left behind are swept away once they are a day old."""

import os
import time

import pytest

from marketplace import uploads
from marketplace.extensions import db
from marketplace.listings import services as listings
from tests.deals.conftest import load, make_listing

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def stores(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LISTING_ATTACHMENT_DIR", str(tmp_path / "listings"))
    monkeypatch.setitem(app.config, "DEAL_ATTACHMENT_DIR", str(tmp_path / "deals"))
    return tmp_path


def _age(path, hours):
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_the_sweep_removes_only_old_files_that_no_row_names(ctx, stores, make_user):
    owner = load(make_user(kind="startup"))
    listing = make_listing(owner.organisation_id)
    kept = listings.add_attachment(listing, owner, "plan.pdf", PDF)
    db.session.commit()
    kept_path = listings.attachment_path(kept)
    # a form that failed after its file was written: the row is rolled back, the file is not
    lost = listings.add_attachment(listing, owner, "draft.pdf", PDF)
    lost_path = listings.attachment_path(lost)
    db.session.rollback()
    fresh = stores / "deals" / "ab" / "ab0123"  # maybe an upload still being committed
    fresh.parent.mkdir(parents=True)
    fresh.write_bytes(PDF)
    for path in (kept_path, lost_path):
        _age(path, 48)

    assert uploads.orphaned_files() == [lost_path]
    assert uploads.sweep_orphaned_files() == 1
    assert kept_path.exists() and fresh.exists() and not lost_path.exists()
    assert uploads.sweep_orphaned_files() == 0  # idempotent
    _age(fresh, 25)
    assert uploads.sweep_orphaned_files() == 1 and not fresh.exists()
