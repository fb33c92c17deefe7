"""The platform's seal on a signed contract: a PAdES signature that pdfsig checks."""

import datetime as dt
import json
import logging
import os
import re
import subprocess

import pytest
from flask import Flask

from marketplace.documents import load_template, render_pdf
from marketplace.documents.cli import contracts_cli
from marketplace.documents.seal import Sealer, SealUnavailable, make_self_signed, seal_contract

from .conftest import pdf_pages, requires_poppler, run
from .test_certificate_and_cli import PLATFORM_SIGNATURES

pytestmark = requires_poppler


def pdfsig(path) -> str:
    """pdfsig's report, times in UTC (it exits non-zero for an invalid signature, so no
    check here)."""
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True,
                          env={**os.environ, "TZ": "UTC"}).stdout


@pytest.fixture(scope="module")
def seal_pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seal")
    make_self_signed(folder / "cert.pem", folder / "key.pem", passphrase="seal-secret")
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture(scope="module")
def sealed(seal_pair, tmp_path_factory):
    """A signed licence in Korean, as rendered and as sealed (the paths of both)."""
    cert, key = seal_pair
    template = load_template("license")
    document = render_pdf(template, template.sample(), lang="ko", contract_no="TTO-2026-0099",
                          signatures=PLATFORM_SIGNATURES)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    config = {"CONTRACT_SEAL_CERT": str(cert), "CONTRACT_SEAL_KEY": str(key),
              "CONTRACT_SEAL_PASSPHRASE": "seal-secret"}
    final = seal_contract(document, config, contract_no="TTO-2026-0099")
    after = dt.datetime.now(dt.UTC)
    folder = tmp_path_factory.mktemp("sealed")
    (folder / "rendered.pdf").write_bytes(document.pdf)
    (folder / "sealed.pdf").write_bytes(final.pdf)
    return document, final, folder / "rendered.pdf", folder / "sealed.pdf", (before, after)


def test_pdfsig_shows_a_valid_seal_over_the_whole_file(sealed):
    document, final, _, path, _ = sealed
    report = pdfsig(path)
    assert "Signature #1:" in report and "Signature #2:" not in report
    assert "Signature Field Name: PlatformSeal" in report
    assert "Signer Certificate Common Name: Tech Trade-On contract seal" in report
    assert "Signature Type: ETSI.CAdES.detached" in report  # PAdES
    assert "Total document signed" in report
    assert "Signature Validation: Signature is Valid." in report
    # self-signed: the signature is valid, its certificate is simply not one anybody trusts
    assert "Certificate Validation: Certificate is Trusted." not in report
    assert final.sha256 != document.sha256


def test_the_signing_time_is_embedded(sealed):
    *_, path, (before, after) = sealed
    found = re.search(r"Signing Time: (\w{3} \d{2} \d{4} \d{2}:\d{2}:\d{2})", pdfsig(path))
    assert found, pdfsig(path)
    signed_at = dt.datetime.strptime(found.group(1), "%b %d %Y %H:%M:%S").replace(tzinfo=dt.UTC)
    assert before <= signed_at <= after


def test_a_changed_byte_breaks_the_seal(sealed, tmp_path):
    *_, path, _ = sealed
    data = bytearray(path.read_bytes())
    # the binary comment on the second line: the file still opens, only its bytes differ
    assert data[9:10] == b"%"
    data[11] ^= 0x01
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(bytes(data))
    report = pdfsig(changed)
    assert "Signature Field Name: PlatformSeal" in report
    assert "Signature is Valid." not in report
    assert "Signature Validation: Digest Mismatch." in report


def test_the_sealed_file_keeps_the_pdf_a_document_intact(sealed):
    document, final, rendered, path, _ = sealed
    # an incremental update: WeasyPrint's PDF/A-3b file is the start of the sealed one
    assert final.pdf.startswith(document.pdf) and len(final.pdf) > len(document.pdf)
    meta = run("pdfinfo", "-meta", str(path))
    assert re.search(r"pdfaid:part(>|=\")3", meta)
    assert re.search(r"pdfaid:conformance(>|=\")B", meta)
    info = run("pdfinfo", str(path))
    assert re.search(r"PDF version:\s+1\.7", info)
    # PDF/A: the Info dictionary and the XMP metadata name the same producer
    producer = re.search(r"Producer:\s+(.+)", info).group(1).strip()
    assert re.search(rf'pdf:Producer(>|=")({re.escape(producer)})', meta), (producer, meta)
    assert run("pdffonts", str(path)) == run("pdffonts", str(rendered))


def test_the_sealed_file_still_reads_as_the_contract(sealed, tmp_path):
    document, _, rendered, path, _ = sealed
    assert pdf_pages(path) == pdf_pages(rendered)
    last = pdf_pages(path)[-1]
    assert "전자서명 확인서" in last and "(UTC+09:00)" in last
    out = tmp_path / "terms.json"
    run("pdfdetach", "-savefile", "contract-terms.json", "-o", str(out), str(path))
    assert json.loads(out.read_text(encoding="utf-8")) == document.terms


def test_without_a_configured_seal_the_file_stays_as_rendered_with_a_warning(caplog):
    template = load_template("nda")
    document = render_pdf(template, template.sample(), lang="en")
    with caplog.at_level(logging.WARNING, logger="marketplace.documents.seal"):
        same = seal_contract(document, {"CONTRACT_SEAL_CERT": None}, contract_no="X")
    assert same is document
    assert "not sealed" in caplog.text


def test_a_missing_file_or_a_wrong_passphrase_is_named(seal_pair, tmp_path):
    cert, key = seal_pair
    with pytest.raises(SealUnavailable) as caught:
        Sealer.from_files(tmp_path / "none.pem", key, "seal-secret")
    assert set(caught.value.fields) == {"CONTRACT_SEAL_CERT"}
    with pytest.raises(SealUnavailable) as caught:
        Sealer.from_files(cert, key, "not-the-passphrase")
    assert set(caught.value.fields) == {"CONTRACT_SEAL_KEY"}
    assert "not-the-passphrase" not in str(caught.value)


def _cli(tmp_path):
    app = Flask(__name__)
    app.config.update(CONTRACT_SEAL_CERT=str(tmp_path / "seal" / "cert.pem"),
                      CONTRACT_SEAL_KEY=str(tmp_path / "seal" / "key.pem"))
    app.cli.add_command(contracts_cli)
    return app.test_cli_runner()


def test_make_seal_writes_a_pair_once_that_seals(tmp_path):
    runner = _cli(tmp_path)
    cert, key = tmp_path / "seal" / "cert.pem", tmp_path / "seal" / "key.pem"
    made = runner.invoke(args=["contracts", "make-seal"])
    assert made.exit_code == 0, made.output
    assert "self-signed until" in made.output
    assert os.stat(key).st_mode & 0o777 == 0o600
    first = cert.read_bytes()
    kept = runner.invoke(args=["contracts", "make-seal"])
    assert kept.exit_code == 0 and "kept" in kept.output
    assert cert.read_bytes() == first
    forced = runner.invoke(args=["contracts", "make-seal", "--force"])
    assert forced.exit_code == 0 and cert.read_bytes() != first
    template = load_template("nda")
    pdf = Sealer.from_files(cert, key).seal(render_pdf(template, template.sample()).pdf,
                                           reason="test")
    (tmp_path / "sealed.pdf").write_bytes(pdf)
    assert "Signature is Valid." in pdfsig(tmp_path / "sealed.pdf")
