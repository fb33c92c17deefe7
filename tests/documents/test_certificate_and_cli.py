"""The signature certificate page and the `flask contracts` commands."""

import hashlib
import json

import pytest
from flask import Flask

from marketplace.documents import SignaturesInvalid, load_template, render_pdf
from marketplace.documents.cli import contracts_cli

from .conftest import pdf_pages, requires_poppler, run

pytestmark = requires_poppler

SIGNED_HASH = hashlib.sha256(b"the unsigned contract").hexdigest()
SIGNATURES = [
    {
        "name": "김하늘",
        "organisation": {"ko": "주식회사 누리배터리", "en": "Nuri Battery Inc."},
        "email": "ceo@nuri-battery.example",
        "party": "discloser",
        "signed_at": "2026-02-13T10:15:00+09:00",
        "ip": "203.0.113.7",
        "method": {"ko": "휴대폰 본인인증", "en": "mobile identity verification"},
        "document_sha256": SIGNED_HASH,
    },
    {
        "name": "Jiwoo Choi",
        "party": "recipient",
        "signed_at": "2026-02-13T03:40:00+00:00",
        "ip": "2001:db8::17",
        "document_sha256": SIGNED_HASH,
    },
]


@pytest.fixture(scope="module")
def certified(tmp_path_factory):
    template = load_template("nda")
    doc = render_pdf(
        template, template.sample(), lang="ko", contract_no="TTO-2026-0007", signatures=SIGNATURES
    )
    path = tmp_path_factory.mktemp("certified") / "nda.pdf"
    path.write_bytes(doc.pdf)
    return doc, path


def test_certificate_page_names_who_when_where_and_the_hash(certified):
    doc, path = certified
    last = pdf_pages(path)[-1]
    assert "전자서명 확인서" in last
    assert "김하늘" in last and "Jiwoo Choi" in last
    assert "203.0.113.7" in last and "2001:db8::17" in last
    assert "2026-02-13 01:15:00 UTC" in last  # 10:15 in Seoul
    assert "기술자료 제공자(갑)" in last and "기술자료 수령자(을)" in last
    assert SIGNED_HASH in last.replace(" ", "")
    assert doc.sha256 == hashlib.sha256(doc.pdf).hexdigest() != SIGNED_HASH
    fonts = run("pdffonts", str(path))
    assert "Contract-Mono" in fonts  # the hash is set in the monospaced face


def test_signatures_travel_in_the_attachment(certified, tmp_path):
    _, path = certified
    out = tmp_path / "terms.json"
    run("pdfdetach", "-savefile", "contract-terms.json", "-o", str(out), str(path))
    assert json.loads(out.read_text(encoding="utf-8"))["signatures"] == SIGNATURES


def test_bad_signatures_are_named():
    template = load_template("nda")
    bad = [
        {
            "name": "A",
            "signed_at": "2026-02-13T10:15:00",
            "ip": "300.1.1.1",
            "document_sha256": "x",
        },
        {
            "signed_at": "2026-02-13T10:15:00+09:00",
            "ip": "10.0.0.1",
            "document_sha256": SIGNED_HASH,
            "geo": "Seoul",
        },
    ]
    with pytest.raises(SignaturesInvalid) as caught:
        render_pdf(template, template.sample(), signatures=bad)
    assert set(caught.value.fields) == {
        "signatures[0].signed_at",
        "signatures[0].ip",
        "signatures[0].document_sha256",
        "signatures[1]",
        "signatures[1].name",
    }


@pytest.fixture
def cli_runner():
    app = Flask(__name__)
    app.cli.add_command(contracts_cli)
    return app.test_cli_runner()


def test_cli_lists_the_types(cli_runner):
    result = cli_runner.invoke(args=["contracts", "list"])
    assert result.exit_code == 0, result.output
    assert "license" in result.output and "기술실시계약서" in result.output
    assert len(result.output.strip().splitlines()) == 8


def test_cli_renders_a_sample(cli_runner, tmp_path):
    out = tmp_path / "mou.pdf"
    result = cli_runner.invoke(
        args=["contracts", "render", "mou", "--lang", "en", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")
    assert hashlib.sha256(out.read_bytes()).hexdigest() in result.output


def test_cli_reports_an_unknown_type(cli_runner, tmp_path):
    result = cli_runner.invoke(
        args=["contracts", "render", "lease", "--out", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code != 0
    assert "no such contract template" in result.output
