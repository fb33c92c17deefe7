"""Every contract type renders to a PDF/A-3b with real Korean fonts, its Terms attached."""

import hashlib
import json
import re

import pytest

from marketplace.documents import load_template
from marketplace.documents.fields import format_date_value, format_money, localise

from .conftest import (
    CONTRACT_NO,
    CONTRACT_VERSION,
    TYPES,
    pdf_pages,
    pdf_text,
    requires_poppler,
    run,
)

pytestmark = requires_poppler


def _amounts_and_dates(template, variables):
    """(money values, date values) anywhere in the variables, payment schedules included."""
    money, dates = [], []
    for name, spec in template.fields.items():
        value = variables.get(name)
        if value is None:
            continue
        if spec.type == "money":
            money.append(value)
        elif spec.type == "date":
            dates.append(value)
        elif spec.type == "schedule":
            money += [item["amount"] for item in value]
            dates += [item["due"] for item in value]
    return money, dates


def _squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("key", TYPES)
def test_bilingual_pdf_shows_parties_amounts_and_dates_in_both_languages(rendered, key):
    doc, path = rendered.get(key, "bilingual")
    template = load_template(key)
    sample = template.sample()
    text = pdf_text(path)

    assert doc.pdf.startswith(b"%PDF-")
    assert doc.sha256 == hashlib.sha256(doc.pdf).hexdigest()
    assert doc.pages == len(pdf_pages(path))
    for lang in ("ko", "en"):
        assert _squash(template.title[lang]) in text
        for party in template.parties:
            assert _squash(localise(sample[party], lang)["name"]) in text
        money, dates = _amounts_and_dates(template, sample)
        for value in money:
            assert format_money(value, lang) in text, (lang, value)
        for value in dates:
            assert _squash(format_date_value(value, lang)) in text, (lang, value)
    assert "국문본이 우선한다" in text
    assert "the Korean version prevails" in text


@pytest.mark.parametrize("key", TYPES)
def test_contract_number_and_version_on_every_page(rendered, key):
    _, path = rendered.get(key, "bilingual")
    pages = pdf_pages(path)
    assert pages
    for number, page in enumerate(pages, start=1):
        assert f"{CONTRACT_NO} · 버전 {CONTRACT_VERSION}" in page
        assert re.search(rf"-\s*{number}\s*/\s*{len(pages)}\s*-", page)


@pytest.mark.parametrize("key", TYPES)
def test_only_the_contract_fonts_are_embedded_with_real_bold(rendered, key):
    # pdftotext reads correct Korean even from tofu boxes, so check the fonts themselves: every
    # font is embedded and comes from our @font-face (named after it), none from a system
    # fallback such as DejaVu.
    _, path = rendered.get(key, "bilingual")
    rows = run("pdffonts", str(path)).splitlines()[2:]
    fonts = {row.split()[0].split("+", 1)[-1]: row.split() for row in rows}
    assert {"Contract-Sans", "Contract-Sans-Bold"} <= set(fonts)
    assert set(fonts) <= {"Contract-Sans", "Contract-Sans-Bold", "Contract-Mono"}
    for columns in fonts.values():
        assert columns[-5] == "yes", columns  # emb


@pytest.mark.parametrize("key", TYPES)
def test_terms_travel_inside_the_pdf(rendered, key, tmp_path):
    _, path = rendered.get(key, "bilingual")
    assert "contract-terms.json" in run("pdfdetach", "-list", str(path))
    out = tmp_path / "terms.json"
    run("pdfdetach", "-savefile", "contract-terms.json", "-o", str(out), str(path))
    terms = json.loads(out.read_text(encoding="utf-8"))
    assert terms["variables"] == load_template(key).sample()
    assert terms["template"] == key
    assert terms["template_version"] == load_template(key).version
    assert terms["language"] == "bilingual"
    assert terms["contract_no"] == CONTRACT_NO
    assert terms["contract_version"] == CONTRACT_VERSION


def test_pdf_declares_pdf_a_3b(rendered):
    _, path = rendered.get("license", "bilingual")
    meta = run("pdfinfo", "-meta", str(path))
    assert re.search(r"pdfaid:part(>|=\")3", meta)
    assert re.search(r"pdfaid:conformance(>|=\")B", meta)
    assert "A4" in run("pdfinfo", str(path))


def test_license_is_long_enough_bilingual(rendered):
    doc, _ = rendered.get("license", "bilingual")
    assert doc.pages >= 6


def test_single_language_documents_hold_only_their_language(rendered):
    _, ko_path = rendered.get("license", "ko")
    _, en_path = rendered.get("license", "en")
    ko, en = pdf_text(ko_path), pdf_text(en_path)
    assert "제1조 목적" in ko and "Article 1" not in ko
    assert "Article 1 Purpose" in en and "제1조" not in en
    assert "₩50,000,000" in ko and "3.5%" in ko
    assert "March 2, 2026" in en and "2026년 3월 2일" in ko
    # the prevailing-language article belongs to bilingual documents only
    assert "국문본" not in ko and "Korean version prevails" not in en
    # cross-references follow the numbering
    assert re.search(r"제\d+조, 제\d+조, 제\d+조는 종료 후에도", ko)
    assert "Licensor" in en and "(이하" not in en


def test_same_input_same_bytes(rendered):
    doc, _ = rendered.get("mou", "bilingual")
    template = load_template("mou")
    from marketplace.documents import render_pdf

    again = render_pdf(
        template,
        template.sample(),
        lang="bilingual",
        contract_no=CONTRACT_NO,
        contract_version=CONTRACT_VERSION,
    )
    assert again.sha256 == doc.sha256


def test_streams_are_deflated_once_and_read_back():
    """The finisher deflates each byte stream itself, so pydyf writes it as it is (not again
    at level 9); a stream it cannot take (not bytes) is still compressed by pydyf."""
    import io
    import zlib

    import pydyf

    from marketplace.documents.pdf import _deflate_once

    content = b"BT /F1 12 Tf 72 712 Td (Contract) Tj ET\n" * 40
    pdf = pydyf.PDF()
    ours = pydyf.Stream([content], compress=True)
    numbers = pydyf.Stream([b"0 0 m", 595, b"l S"], compress=True)
    plain = pydyf.Stream([b"left as it is"])
    for stream in (ours, numbers, plain):
        pdf.add_object(stream)
    _deflate_once(None, pdf)
    out = io.BytesIO()
    pdf.write(out, identifier=True, compress=True)
    written = out.getvalue()

    assert ours.compress is False and ours.extra["Filter"] == "/FlateDecode"
    assert zlib.decompress(ours.stream[0]) == content
    assert ours.stream[0] in written  # written as deflated here, once
    assert numbers.compress is True and "Filter" not in numbers.extra
    assert b"left as it is" in written and "Filter" not in plain.extra
