"""A contract uses the free-text terms in its own language: a Korean contract from terms entered
in both languages has no English text (only names, numbers and defined terms), an English one no
Korean beyond names, and a contract whose terms lack its language names what is missing."""

import copy
import re
import subprocess

import pytest

from marketplace.agreements import access, drafting, library
from marketplace.documents import render_pdf
from marketplace.errors import DomainError
from marketplace.extensions import db
from tests.conftest import login
from tests.documents.conftest import requires_poppler

from .conftest import agree, load

#: Per deal type, terms whose free text is written in both languages.
BILINGUAL_TERMS = {
    "license": {
        "currency": "KRW", "upfront_fee": 50_000_000, "royalty_percent": 3.5,
        "field_of_use": {"ko": "산업용 드론 배터리 팩", "en": "Industrial drone battery packs"},
        "territory": {"ko": "대한민국", "en": "Republic of Korea"},
        "exclusivity": "exclusive", "term_months": 36, "sublicensing": False,
        "improvements_owner": "licensee",
        "conditions": {"ko": "분기별 판매 보고서를 제출한다", "en": "Quarterly sales reports"}},
    "transfer": {
        "currency": "KRW", "price": 100_000_000, "payment_schedule": [
            {"amount": 40_000_000, "due": "2026-04-01"},
            {"amount": 60_000_000, "due": "2026-05-01"}],
        "conditions": {"ko": "기술 문서 일체를 인도한다",
                       "en": "Handover of all technical documents"}},
    "joint_development": {
        "currency": "KRW", "cost_share_percent": 60, "results_owner": "joint",
        "scope": {"ko": "배터리 셀 열화 모델 공동 개발",
                  "en": "Joint development of a cell ageing model"},
        "conditions": {"ko": "월 1회 진행 회의", "en": "Monthly progress meetings"}},
    "poc": {
        "currency": "KRW", "duration_days": 90, "fee": 30_000_000,
        "scope": {"ko": "시범 생산 라인 적용", "en": "Pilot production line trial"},
        "success_criteria": {"ko": "예측 오차 3% 미만",
                             "en": "Prediction error below three percent"},
        "conditions": {"ko": "현장 데이터 제공", "en": "Site data provided by the client"}},
    "supply": {
        "currency": "KRW", "quantity": 100, "unit_price": 250_000,
        "delivery": {"ko": "인천 물류센터, 발주 후 2주 이내",
                     "en": "Incheon warehouse within two weeks"},
        "conditions": {"ko": "불량품은 교환한다", "en": "Defective units are replaced"}},
    "investment": {
        "currency": "KRW", "amount": 1_000_000_000, "instrument": "rcps",
        "pre_money_valuation": 9_000_000_000, "stake_percent": 10,
        "conditions": {"ko": "이사회 참관권 부여", "en": "Board observer seat"}},
}
HANGUL_RUN = re.compile(r"[가-힣]+")
LATIN_RUN = re.compile(r"[A-Za-z]+")
#: Latin a Korean contract legitimately carries: the deal's names (the offering is called
#: "배터리 열화 예측 AI"; representatives "User n"), the contract number, defined terms
#: ("기술검증(Proof of Concept, 이하 "PoC"라 한다)", "상환전환우선주(RCPS)").
#: Checked on the text without whitespace (a line may wrap inside a word).
KOREAN_ALLOWED_LATIN = {"AI", "User", "TTO", "ProofofConcept", "PoC", "RCPS"}


def _english_words(terms: dict) -> set[str]:
    return {word for value in terms.values() if isinstance(value, dict) and "en" in value
            for word in LATIN_RUN.findall(value["en"])}


def _korean_words(terms: dict) -> set[str]:
    return {word for value in terms.values() if isinstance(value, dict) and "ko" in value
            for word in HANGUL_RUN.findall(value["ko"])}


def _get(values: dict, path: str):
    for part in path.split("."):
        values = values[part]
    return values


def _draft(p, deal_type: str, terms: dict, language: str):
    """An agreed deal's draft in `language`, every detail the terms lack filled in from the
    template's sample (in the contract's language only)."""
    deal = agree(p, deal_type=deal_type, terms=terms)
    buyer = load(p["buyer"])
    contract = drafting.start_draft(deal, buyer)
    drafting.change_language(contract, buyer, language)
    sample = library.template_of(contract).sample()
    editable = set(drafting.editable_paths(contract))
    values = {}
    for path in drafting.missing_variables(contract):
        if path in editable:
            value = copy.deepcopy(_get(sample, path))
            values[path] = value[language] if isinstance(value, dict) and language in value \
                else value
    drafting.fill_variables(contract, buyer, values)
    return contract


def _pdf_text(tmp_path, contract, lang: str) -> str:
    document = render_pdf(library.template_of(contract), contract.variables, lang=lang,
                          contract_no=contract.contract_no)
    path = tmp_path / f"{contract.template_key}-{lang}.pdf"
    path.write_bytes(document.pdf)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


@requires_poppler
@pytest.mark.parametrize("deal_type", sorted(BILINGUAL_TERMS))
def test_a_korean_contract_has_no_english_text(app, tmp_path, parties, deal_type):
    terms = BILINGUAL_TERMS[deal_type]
    with app.test_request_context():
        contract = _draft(parties, deal_type, terms, "ko")
        assert drafting.missing_variables(contract) == {}
        text = _pdf_text(tmp_path, contract, "ko")
        names = set(LATIN_RUN.findall(" ".join(
            [contract.deal.seller.name_ko or "", contract.deal.buyer.name_ko or ""])))
        db.session.rollback()
    squeezed = "".join(text.split())
    latin = set(LATIN_RUN.findall(squeezed)) - KOREAN_ALLOWED_LATIN - names
    assert latin == set(), latin
    for value in terms.values():
        if isinstance(value, dict) and "ko" in value:
            assert "".join(value["ko"].split()) in squeezed


@requires_poppler
@pytest.mark.parametrize("deal_type", sorted(BILINGUAL_TERMS))
def test_an_english_contract_has_no_korean_beyond_names(app, tmp_path, parties, deal_type):
    terms = BILINGUAL_TERMS[deal_type]
    with app.test_request_context():
        contract = _draft(parties, deal_type, terms, "en")
        assert drafting.missing_variables(contract) == {}
        text = _pdf_text(tmp_path, contract, "en")
        deal = contract.deal
        names = set(HANGUL_RUN.findall(" ".join(
            [deal.seller.name_ko or "", deal.buyer.name_ko or "", deal.offering.title_ko])))
        db.session.rollback()
    hangul = set(HANGUL_RUN.findall(text))
    assert not hangul & _korean_words(terms), hangul & _korean_words(terms)
    assert hangul <= names, hangul - names
    assert _english_words(terms) <= set(LATIN_RUN.findall(text))


def test_a_korean_contract_from_english_terms_names_the_missing_korean_text(app, parties):
    p = parties
    with app.test_request_context():
        deal = agree(p, terms={
            **BILINGUAL_TERMS["license"], "field_of_use": "Industrial drone battery packs",
            "territory": {"ko": "대한민국", "en": "Republic of Korea"},
            "conditions": {"en": "Quarterly sales reports"}})
        contract = drafting.start_draft(deal, load(p["buyer"]))
        drafting.change_language(contract, load(p["buyer"]), "ko")
        missing = drafting.missing_variables(contract)
        db.session.commit()
        deal_id = deal.id
    assert {"field_of_use.ko", "conditions.ko"} <= set(missing)
    assert "territory.ko" not in missing and "territory.en" not in missing
    client = app.test_client()
    login(client, p["buyer"], lang="ko")
    html = client.get(f"/ko/deals/{deal_id}/contract").get_data(as_text=True)
    box = re.search(r'id="missing-details">(.*?)</div>', html, re.S).group(1)
    assert '<li data-missing="field_of_use.ko">실시분야 (한국어)</li>' in box, box
    assert '<li data-missing="conditions.ko">특약사항 (한국어)</li>' in box
    login(client, p["buyer"], lang="en")
    html = client.get(f"/en/deals/{deal_id}/contract").get_data(as_text=True)
    assert '<li data-missing="field_of_use.ko">Field of use (in Korean)</li>' in html
    # in English the same terms are complete: nothing about them is missing
    with app.test_request_context():
        contract = access.current_contract(db.session.merge(deal))
        drafting.change_language(contract, load(p["buyer"]), "en")
        assert not {"field_of_use.en", "conditions.en", "territory.en"} & set(
            drafting.missing_variables(contract))
        drafting.change_language(contract, load(p["buyer"]), "bilingual")
        assert {"field_of_use.ko", "conditions.ko"} <= set(drafting.missing_variables(contract))
        db.session.rollback()


def test_the_missing_translation_of_a_term_is_filled_in_on_the_draft(app, parties):
    p = parties
    with app.test_request_context():
        deal = agree(p, terms={**BILINGUAL_TERMS["license"],
                               "field_of_use": "Industrial drone battery packs"})
        contract = drafting.start_draft(deal, load(p["buyer"]))
        drafting.change_language(contract, load(p["buyer"]), "ko")
        assert "field_of_use.ko" in drafting.editable_paths(contract)
        assert "field_of_use.en" not in drafting.editable_paths(contract)
        assert "territory.ko" not in drafting.editable_paths(contract)  # agreed in both
        with pytest.raises(DomainError) as info:
            drafting.fill_variables(contract, load(p["buyer"]), {
                "field_of_use.en": "Something else"})
        assert set(info.value.fields) == {"field_of_use.en"}
        db.session.commit()
        deal_id = deal.id
    client = app.test_client()
    login(client, p["buyer"], lang="ko")
    form = client.get(f"/ko/deals/{deal_id}/contract/details").get_data(as_text=True)
    assert re.search(r'<label[^>]*for="v__field_of_use__ko"[^>]*>실시분야 \(한국어\)</label>',
                     form), form
    response = client.post(f"/ko/deals/{deal_id}/contract/details",
                           data={"v__field_of_use__ko": "산업용 드론 배터리 팩"})
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    with app.test_request_context():
        contract = access.current_contract(db.session.merge(deal))
        assert contract.variables["field_of_use"] == {
            "en": "Industrial drone battery packs", "ko": "산업용 드론 배터리 팩"}
        assert "field_of_use.ko" not in drafting.missing_variables(contract)
    page = client.get(f"/ko/deals/{deal_id}/contract").get_data(as_text=True)
    history = page[page.index('id="history"'):]
    assert "실시분야 (한국어)</div>" in history
    assert "<del>—</del> → <ins>산업용 드론 배터리 팩</ins>" in history
