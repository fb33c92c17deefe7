"""The signature certificate page and the `flask contracts` commands."""

import hashlib
import json
import re

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
    assert "2026-02-13 10:15:00 (UTC+09:00)" in last  # given in Seoul time
    assert "2026-02-13 12:40:00 (UTC+09:00)" in last  # given in UTC, shown in Seoul time
    assert "기술자료 제공자(갑)" in last and "기술자료 수령자(을)" in last
    assert SIGNED_HASH in last.replace(" ", "")
    assert doc.sha256 == hashlib.sha256(doc.pdf).hexdigest() != SIGNED_HASH
    fonts = run("pdffonts", str(path))
    assert "Contract-Mono" in fonts  # the hash is set in the monospaced face


#: The signatures a deal's contract carries: the platform's signing method, times in UTC.
PLATFORM_SIGNATURES = [
    {
        "name": "김민지",
        "organisation": "비전마켓",
        "email": "minji@vision.example",
        "party": "licensee",
        "signed_at": "2026-11-30T08:30:05+00:00",
        "ip": "198.51.100.4",
        "method": "password_and_name",
        "document_sha256": SIGNED_HASH,
    },
    {
        "name": "Minji Park",
        "organisation": "한빛전자",
        "email": "minji.park@hanbit.example",
        "party": "licensor",
        "signed_at": "2026-11-30T23:59:59+00:00",
        "ip": "2001:db8::9",
        "method": "password_and_name",
        "document_sha256": SIGNED_HASH,
    },
]
#: What may stand in Latin letters on a Korean certificate page: names, e-mail and IP
#: addresses, the contract number, the hash, and the technical terms IP, SHA-256 and UTC.
NOT_WORDS = [
    "Minji Park", "minji@vision.example", "minji.park@hanbit.example", "2001:db8::9",
    SIGNED_HASH, "TTO-2026-0099", "SHA-256", "IP", "(UTC+09:00)",
]


def _certificate_page(lang: str, tmp_path) -> str:
    template = load_template("license")
    doc = render_pdf(template, template.sample(), lang=lang, contract_no="TTO-2026-0099",
                     signatures=PLATFORM_SIGNATURES)
    path = tmp_path / f"license-{lang}.pdf"
    path.write_bytes(doc.pdf)
    page = pdf_pages(path)[-1]
    # the hash may wrap inside its cell
    return page.replace(SIGNED_HASH[:32] + " " + SIGNED_HASH[32:], SIGNED_HASH)


def test_korean_certificate_page_is_korean_with_seoul_times(tmp_path):
    page = _certificate_page("ko", tmp_path)
    assert "전자서명 확인서" in page
    assert page.count("계정 비밀번호 확인과 서명자 성명 입력으로 서명함") == 2
    assert "2026-11-30 17:30:05 (UTC+09:00)" in page
    assert "2026-12-01 08:59:59 (UTC+09:00)" in page  # the next day in Seoul
    assert "기술실시계약서 (양식 버전 2)" in page
    assert "실시권자(을)" in page and "실시허락자(갑)" in page
    rest = page
    for allowed in NOT_WORDS:
        rest = rest.replace(allowed, " ")
    assert not re.findall(r"[A-Za-z]+", rest), rest


def test_english_certificate_page_is_english_with_seoul_times(tmp_path):
    page = _certificate_page("en", tmp_path)
    assert "Certificate of Electronic Signature" in page
    assert page.count(
        "Signed by confirming the account password and typing the signatory's name") == 2
    assert "2026-11-30 17:30:05 (UTC+09:00)" in page
    assert "Technology License Agreement (template version 2)" in page
    assert "Licensee" in page and "Licensor" in page
    assert "password_and_name" not in page and "license v2" not in page
    rest = page
    for allowed in ("김민지", "비전마켓", "한빛전자"):
        rest = rest.replace(allowed, " ")
    assert not re.findall(r"[가-힣]+", rest), rest


def test_bilingual_certificate_page_shows_both_languages(tmp_path):
    page = _certificate_page("bilingual", tmp_path)
    assert "전자서명 확인서 / Certificate of Electronic Signature" in page
    assert "계정 비밀번호 확인과 서명자 성명 입력으로 서명함" in page
    assert "Signed by confirming the account password and typing the signatory" in page
    assert "2026-11-30 17:30:05 (UTC+09:00)" in page and " UTC " not in page


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
