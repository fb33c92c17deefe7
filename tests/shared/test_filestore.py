"""The file store features declare: type read from content, size limit, safe names, confined
paths, orphans swept."""

import io
import os
import time
import zipfile

import pytest
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from marketplace.errors import DomainError, NotFound
from marketplace.filestore import TYPES, FileStore, safe_name, sniff

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(16)
JPEG = b"\xff\xd8\xff\xe0" + bytes(16)


def _zip(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, b"<x/>")
    return out.getvalue()


DOCX = _zip("[Content_Types].xml", "word/document.xml")
HWPX = _zip("mimetype", "Contents/content.hpf")

IMAGES = FileStore(dir_key="TEST_STORE_DIR", max_bytes_key="TEST_STORE_MAX_BYTES",
                   allowed=("pdf", "png", "jpeg"), field="file",
                   wrong_type=_l("Only PDF, PNG and JPEG files are accepted, and the file's "
                                 "content must match its name."))
OFFICE = FileStore(dir_key="TEST_STORE_DIR", max_bytes_key="TEST_STORE_MAX_BYTES",
                   allowed=tuple(TYPES), field="attachment",
                   wrong_type=_l("Only PDF, PNG, JPEG, Word, Excel, PowerPoint and HWPX files "
                                 "are accepted, and the file's content must match its name."))


@pytest.fixture
def store_ctx(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "TEST_STORE_DIR", str(tmp_path / "store"))
    monkeypatch.setitem(app.config, "TEST_STORE_MAX_BYTES", 1024)
    with app.test_request_context(), force_locale("ko"):
        yield tmp_path / "store"


def test_types_are_read_from_the_content():
    assert [sniff(d) for d in (PDF, PNG, JPEG, DOCX, HWPX, b"hello")] == [
        "pdf", "png", "jpeg", "docx", "hwpx", None]
    assert sniff(DOCX, allowed=("pdf", "png", "jpeg")) is None  # the zip is not even opened
    assert sniff(PNG, allowed=("pdf",)) is None


def test_an_allowed_file_is_checked_and_described(store_ctx):
    checked = IMAGES.check("사업계획서.pdf", PDF)
    assert (checked.name, checked.kind, checked.content_type, checked.size) == (
        "사업계획서.pdf", "pdf", "application/pdf", len(PDF))
    assert len(checked.sha256) == 64
    assert OFFICE.check("plan.DOCX", DOCX).kind == "docx"
    assert IMAGES.check("photo.jpg", JPEG).kind == IMAGES.check("photo.jpeg", JPEG).kind == "jpeg"


@pytest.mark.parametrize("store, name, data", [
    (IMAGES, "invoice.pdf", PNG),          # the name says PDF, the content is PNG
    (IMAGES, "script.pdf", b"#!/bin/sh\nrm -rf /\n"),
    (IMAGES, "plan.docx", DOCX),           # a type this store does not take
    (IMAGES, "plan.pdf", DOCX),
    (OFFICE, "plan.xlsx", DOCX),           # a Word file named as a spreadsheet
    (OFFICE, "plan", PDF),                 # no extension at all
], ids=["png-as-pdf", "script-as-pdf", "docx-to-images", "docx-as-pdf", "docx-as-xlsx",
        "no-extension"])
def test_a_file_lying_about_its_type_is_refused_on_the_stores_field(store_ctx, store, name,
                                                                    data):
    with pytest.raises(DomainError) as caught:
        store.check(name, data)
    assert list(caught.value.fields) == [store.field]
    assert caught.value.message is store.wrong_type


def test_an_empty_or_oversize_file_is_refused_with_a_translated_message(store_ctx):
    with pytest.raises(DomainError) as caught:
        IMAGES.check("big.pdf", PDF + bytes(1024))
    assert str(caught.value.message) == "파일이 0.0 MB보다 큽니다."
    assert caught.value.fields == {"file": [caught.value.message]}
    with pytest.raises(DomainError) as caught:
        IMAGES.check("empty.pdf", b"")
    assert str(caught.value.message) == "파일이 비어 있습니다."


def test_a_broken_zip_is_refused_on_the_stores_field(store_ctx):
    with pytest.raises(DomainError) as caught:
        OFFICE.check("broken.docx", DOCX[:len(DOCX) // 2])
    assert "손상" in str(caught.value.fields["attachment"][0])


@pytest.mark.parametrize("hostile, safe", [
    ("../../x\x07.pdf", "x.pdf"),
    ("..\\..\\windows\\evil\x1b[31m.pdf", "evil[31m.pdf"),
    ("/etc/passwd\x00.pdf", "passwd.pdf"),
    ("\u202egnp.pdf", "gnp.pdf"),  # right-to-left override
    ("..", "file"),
    ("", "file"),
    (None, "file"),
    ("a" * 300 + ".pdf", "a" * 200),
])
def test_hostile_names_become_plain_file_names(hostile, safe):
    assert safe_name(hostile) == safe


def test_a_hostile_name_is_cleaned_and_then_checked(store_ctx):
    assert IMAGES.check("../../x\x07.pdf", PDF).name == "x.pdf"


def test_files_are_stored_under_a_random_key_and_found_by_it(store_ctx):
    key = IMAGES.save(PDF)
    path = IMAGES.path(key)
    assert path.read_bytes() == PDF
    assert path == (store_ctx / key[:2] / key).resolve()
    assert IMAGES.save(PDF) != key


@pytest.mark.parametrize("key", ["../../etc/passwd", "..", "", "ab/../../cd", "/etc/passwd",
                                 "ABCDEF0123", None, 12345678])
def test_a_path_cannot_escape_the_store(store_ctx, key):
    with pytest.raises(NotFound):
        IMAGES.path(key)


def test_the_sweep_removes_only_old_files_no_row_names(store_ctx):
    kept, lost, fresh = IMAGES.save(PDF), IMAGES.save(PDF), IMAGES.save(PDF)
    then = time.time() - 48 * 3600
    for key in (kept, lost):
        os.utime(IMAGES.path(key), (then, then))
    assert IMAGES.orphans({kept}) == [(store_ctx / lost[:2] / lost)]
    assert IMAGES.sweep({kept}) == 1
    assert IMAGES.path(kept).exists() and IMAGES.path(fresh).exists()
    assert not IMAGES.path(lost).exists()
    assert IMAGES.sweep({kept}) == 0


def test_a_store_with_an_unknown_type_is_a_programming_error():
    with pytest.raises(ValueError):
        FileStore(dir_key="X", max_bytes_key="Y", allowed=("exe",), field="file",
                  wrong_type="No.")
