"""The organisations' addresses and representatives fill the contract drafts, in the
contract's language, and reach the PDF."""

import shutil
import subprocess

import pytest

from marketplace.accounts.models import Organisation
from marketplace.agreements import drafting, library
from marketplace.documents import render_pdf
from marketplace.extensions import db

from .conftest import load

SELLER = {"address_ko": "대전광역시 유성구 대학로 99, 3층",
          "address_en": "3F, 99 Daehak-ro, Daejeon",
          "representative_ko": "대표이사 한빛나", "representative_en": "Bitna Han, CEO",
          "business_type": "제조업", "business_item": "2차전지 제조"}
BUYER = {"address_ko": "서울특별시 강남구 테헤란로 321, 12층",
         "address_en": "12F, 321 Teheran-ro, Gangnam-gu, Seoul",
         "representative_ko": "대표이사 최지우", "representative_en": "Jiwoo Choi, CEO"}


def fill_details(p) -> None:
    """Both parties' organisations keep their details (as their members would set them)."""
    for who, values in (("seller", SELLER), ("buyer", BUYER)):
        user = load(p[who])
        db.session.get(Organisation, user.organisation_id).update_details(user, values)
    db.session.flush()


def _pdftotext(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "contract.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_a_draft_takes_the_parties_details_from_their_organisations(agreed, parties):
    fill_details(parties)
    contract = drafting.start_draft(agreed, load(parties["buyer"]))
    licensor, licensee = contract.variables["licensor"], contract.variables["licensee"]
    assert licensor["address"] == {"ko": SELLER["address_ko"], "en": SELLER["address_en"]}
    assert licensor["representative"] == {"ko": "대표이사 한빛나", "en": "Bitna Han, CEO"}
    assert licensee["address"]["ko"] == BUYER["address_ko"]
    missing = drafting.missing_variables(contract)
    assert "licensor.address" not in missing and "licensee.address" not in missing
    assert "effective_date" in missing  # what organisations do not know is still listed
    # a party can still write something else on the draft
    drafting.fill_variables(contract, load(parties["seller"]),
                            {"licensor.address": "대전광역시 유성구 가정로 1"})
    assert contract.variables["licensor"]["address"] == "대전광역시 유성구 가정로 1"


def test_missing_details_are_listed_on_the_draft(agreed, parties):
    user = load(parties["seller"])
    db.session.get(Organisation, user.organisation_id).update_details(
        user, {"representative_ko": "대표이사 한빛나"})
    contract = drafting.start_draft(agreed, load(parties["buyer"]))
    missing = drafting.missing_variables(contract)
    assert "licensor.address" in missing and "licensee.address" in missing
    assert contract.variables["licensor"]["representative"] == "대표이사 한빛나"


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_the_pdf_prints_the_details_in_the_contracts_language(agreed, parties, tmp_path):
    fill_details(parties)
    contract = drafting.start_draft(agreed, load(parties["buyer"]))
    drafting.fill_variables(contract, load(parties["seller"]), {
        "licensor.registration_no": "314-81-12345", "licensee.registration_no": "134-81-67890",
        "payment_days": 30, "effective_date": "2026-03-02", "sublicensing": "with_consent",
        "improvements_owner": "joint"})
    assert drafting.missing_variables(contract) == {}
    template = library.template_of(contract)
    korean = _pdftotext(render_pdf(template, contract.variables, lang="ko").pdf, tmp_path)
    english = _pdftotext(render_pdf(template, contract.variables, lang="en").pdf, tmp_path)
    for text, lang, other in ((korean, "ko", "en"), (english, "en", "ko")):
        flat = " ".join(text.split())
        for values in (SELLER, BUYER):
            assert values[f"address_{lang}"] in flat and values[f"representative_{lang}"] in flat
            assert values[f"address_{other}"] not in flat


def test_the_other_party_of_a_deal_sees_the_details(app, agreed, parties):
    fill_details(parties)
    db.session.commit()
    seller_org = load(parties["seller"]).organisation_id
    from tests.conftest import login

    for who, shown in (("buyer", True), ("outsider", False)):
        client = app.test_client()
        login(client, parties[who], lang="en")
        page = client.get(f"/en/organisations/{seller_org}").get_data(as_text=True)
        assert (SELLER["address_en"] in page) is shown and ("Bitna Han, CEO" in page) is shown


def test_without_a_named_signatory_signing_asks_for_the_representative_in_the_contracts_language():
    from marketplace.agreements.models import Contract

    representative = {"ko": SELLER["representative_ko"], "en": SELLER["representative_en"]}
    for language, expected in (("en", "Bitna Han, CEO"), ("ko", "대표이사 한빛나"),
                               ("bilingual", "대표이사 한빛나")):
        contract = Contract(language=language, signatories=None,
                            variables={"licensor": {"representative": representative}})
        assert drafting.signatory_of(contract, "licensor") == {"name": expected, "title": None}


def test_a_term_agreed_as_plain_text_takes_its_translation_on_the_draft():
    """Drafts from before terms had languages hold plain text; its translation is added
    beside it, not a server error."""
    values = {"field_of_use": "EV battery packs"}
    drafting._set_path(values, "field_of_use.ko", "전기차 배터리 팩")
    assert values == {"field_of_use": {"en": "EV battery packs", "ko": "전기차 배터리 팩"}}
