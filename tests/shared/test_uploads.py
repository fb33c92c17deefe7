"""Uploads that a rolled-back transaction left behind are swept away once they are a day old."""

import io
import os
import time
import zipfile

import pytest
import sqlalchemy as sa

from marketplace import uploads
from marketplace.deals.messages import ATTACHMENTS as deals
from marketplace.deals.messages import DealAttachment
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.listings import attachments as listings
from tests.conftest import login
from tests.deals.conftest import load, make_listing, open_deal
from tests.deals.conftest import parties as parties  # noqa: F401 (the fixture)

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


# ---- zip archives (Word, Excel, PowerPoint, HWPX) ------------------------------------------

def _docx(parts: dict[str, bytes | int]) -> bytes:
    """A zip with the given parts; an int is that many zero bytes, streamed in (fast)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            with archive.open(name, "w", force_zip64=True) as member:
                if isinstance(content, bytes):
                    member.write(content)
                else:
                    chunk = bytes(1024 * 1024)
                    for _ in range(content // len(chunk)):
                        member.write(chunk)
    return out.getvalue()


DOCX = _docx({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


def test_a_zip_bomb_disguised_as_docx_is_refused_with_a_translated_message(app, client,
                                                                          parties, stores):
    bomb = _docx({"[Content_Types].xml": b"<Types/>", "word/document.xml": 200 * 1024 * 1024})
    assert len(bomb) < 1024 * 1024  # 200 MB of zeros in well under a megabyte
    with app.test_request_context():
        deal = open_deal(parties)
        db.session.commit()
        deal_id = deal.id
    login(client, parties["buyer"])
    response = client.post(f"/ko/deals/{deal_id}/messages", data={
        "body": "제안서", "attachment": (io.BytesIO(bomb), "제안서.docx")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "zip 폭탄" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DealAttachment)) == 0
    assert not (stores / "deals").exists() or not any((stores / "deals").rglob("*.*"))


@pytest.mark.parametrize("parts", [
    {"word/document.xml": b"<w:document/>", **{f"media/{n}.xml": b"" for n in range(1001)}},
    {"word/document.xml": b"<w:document/>", "a.bin": 101 * 1024 * 1024},
], ids=["too many parts", "too large unpacked"])
def test_zips_past_the_limits_are_refused(ctx, parts):
    with pytest.raises(DomainError) as exc:
        deals.check("big.docx", _docx(parts))
    assert "attachment" in exc.value.fields


def test_a_broken_zip_is_refused_and_a_real_docx_passes(ctx):
    with pytest.raises(DomainError) as exc:
        deals.check("broken.docx", DOCX[:len(DOCX) // 2])
    assert "손상" in str(exc.value.message)
    assert deals.check("plan.docx", DOCX).name == "plan.docx"


# ---- contract template uploads ---------------------------------------------------------------

def test_a_template_upload_goes_through_the_store_checks(app, ctx, parties, tmp_path,
                                                        monkeypatch):
    """A .zip of a template is checked as every upload is: a zip bomb, a zip not named .zip,
    and an upload over CONTRACT_TEMPLATE_MAX_BYTES are refused on the files field."""
    from marketplace.agreements import library

    monkeypatch.setitem(app.config, "CONTRACT_TEMPLATE_DIR", str(tmp_path / "templates"))
    admin = load(parties["admin"])
    bomb = _docx({"license/ko.html": 200 * 1024 * 1024})
    plain = _docx({"license/ko.html": b"<p>x</p>"})
    for name, data, said in [("t.zip", bomb, "zip 폭탄"), ("t.docx", plain, ".zip 파일을 선택"),
                             ("t.zip", plain + bytes(1024 * 1024), "1024")]:
        with pytest.raises(DomainError) as exc:
            library.upload(admin, "license", [(name, data)])
        assert "files" in exc.value.fields and said in str(exc.value.fields["files"][0])
    monkeypatch.setitem(app.config, "CONTRACT_TEMPLATE_MAX_BYTES", 1024)
    with pytest.raises(DomainError) as exc:
        library.upload(admin, "license", [("t.zip", plain + bytes(1024))])
    assert "1 KB" in str(exc.value.fields["files"][0])
    assert not (tmp_path / "templates" / "license").exists()


def test_the_sweep_removes_template_staging_left_by_a_killed_upload(app, ctx, stores,
                                                                    monkeypatch):
    monkeypatch.setitem(app.config, "CONTRACT_TEMPLATE_DIR", str(stores / "templates"))
    staging = stores / "templates" / ".staging"
    left, busy = staging / "a1b2", staging / "c3d4"
    for folder in (left, busy):
        folder.mkdir(parents=True)
        (folder / "ko.html").write_text("<p>x</p>")
    _age(left, 48)
    assert uploads.sweep_orphaned_files() == 1
    assert not left.exists() and busy.exists()
