"""Every contract with a price says, in Korean and in English, how VAT applies to its amounts:
10% on top (부가가치세 10% 별도), zero-rated (영세율 적용) or, for Terms agreed before VAT was set
on them, the earlier wording. Checked in the text pdftotext extracts from the rendered PDF; the
first version of each template keeps rendering as it did."""

import re

import pytest

from marketplace.documents import load_template, render_pdf

from .conftest import pdf_text, requires_poppler

pytestmark = requires_poppler

PRICED = ("license", "transfer", "poc", "supply")
KOREAN = {
    "license": {"standard": "위금액은부가가치세10%별도금액이며,을은부가가치세를별도로지급한다.",
                "zero_rated": "위금액에는부가가치세영세율이적용된다.",
                None: "위금액에는부가가치세가포함되어있지아니하며,관계법령에"},
    "transfer": {"standard": "양도대금은₩12,000,000,000(부가가치세10%별도)으로한다.",
                 "zero_rated": "양도대금은₩12,000,000,000(부가가치세영세율적용)으로한다.",
                 None: "양도대금은₩12,000,000,000(부가가치세별도)으로한다."},
    "poc": {"standard": "PoC의대가는US$85,000.00(부가가치세10%별도)로한다.",
            "zero_rated": "PoC의대가는US$85,000.00(부가가치세영세율적용)로한다.",
            None: "PoC의대가는US$85,000.00(부가가치세별도)로한다."},
    "supply": {"standard": "(부가가치세10%별도)으로하며",
               "zero_rated": "(부가가치세영세율적용)으로하며",
               None: "(부가가치세별도)으로하며"},
}
ENGLISH = {
    "standard": ("excluding value added tax, which is added at 10%",
                 "exclude value added tax, which the Licensee shall pay in addition at 10%"),
    "zero_rated": ("zero-rated for value added tax (0%)",),
    None: ("excluding value added tax", "exclude value added tax."),
}


def _text(tmp_path, template, variables, lang) -> str:
    path = tmp_path / f"{template.key}-{lang}.pdf"
    path.write_bytes(render_pdf(template, variables, lang=lang).pdf)
    return re.sub(r"\s+", " ", pdf_text(path))


@pytest.mark.parametrize("vat", ["standard", "zero_rated", None])
@pytest.mark.parametrize("key", PRICED)
def test_the_price_clause_states_the_vat_in_both_languages(tmp_path, key, vat):
    template = load_template(key)
    variables = template.sample() | {"vat": vat}
    variables = {name: value for name, value in variables.items() if value is not None}
    korean = _text(tmp_path, template, variables, "ko").replace(" ", "")
    english = _text(tmp_path, template, variables, "en")
    assert KOREAN[key][vat] in korean
    assert any(words in english for words in ENGLISH[vat]), english
    others = [v for v in ("standard", "zero_rated") if v != vat]
    for other in others:  # and nothing of the other treatments
        assert KOREAN[key][other] not in korean
    if vat != "zero_rated":
        assert "영세율" not in korean and "zero-rated" not in english
    if vat != "standard":
        assert "10%별도" not in korean and "at 10%" not in english


@pytest.mark.parametrize("key", PRICED)
def test_the_first_version_keeps_its_wording(tmp_path, key):
    first = load_template(key, version=1)
    assert "vat" not in first.fields and "vat" in load_template(key).fields
    korean = _text(tmp_path, first, first.sample(), "ko").replace(" ", "")
    assert KOREAN[key][None] in korean and "10%별도" not in korean
