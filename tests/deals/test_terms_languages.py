"""Free-text terms in Korean and English: either may be left out, a plain string counts in the
language it is written in, the offer form asks for both, pages show the reader's language."""

import re

import pytest

from marketplace.api.tokens import create_token
from marketplace.deals.models import Deal
from marketplace.deals.terms import validate_terms
from marketplace.errors import DomainError
from marketplace.extensions import db
from tests.conftest import login

from .conftest import LICENSE, load, negotiating_deal

FREE_TEXT = {"license": ["field_of_use", "territory", "conditions"],
             "joint_development": ["scope", "conditions"],
             "poc": ["scope", "success_criteria", "conditions"],
             "supply": ["delivery", "conditions"], "transfer": ["conditions"],
             "investment": ["conditions"]}


def test_a_plain_string_is_taken_in_the_language_it_is_written_in(ctx):
    clean = validate_terms("license", {**LICENSE, "field_of_use": " 전기차 배터리 팩 ",
                                       "territory": "Republic of Korea"})
    assert clean["field_of_use"] == {"ko": "전기차 배터리 팩"}
    assert clean["territory"] == {"en": "Republic of Korea"}


def test_either_language_may_be_left_out(ctx):
    clean = validate_terms("poc", {"currency": "KRW", "scope": {"ko": " 시범 라인 ", "en": ""},
                                   "duration_days": 30,
                                   "success_criteria": {"en": "Error < 3%"}})
    assert clean["scope"] == {"ko": "시범 라인"}
    assert clean["success_criteria"] == {"en": "Error < 3%"}


@pytest.mark.parametrize("value", [{"ko": "", "en": " "}, {}, " "])
def test_a_required_text_needs_at_least_one_language(ctx, value):
    with pytest.raises(DomainError) as info:
        validate_terms("license", {**LICENSE, "territory": value})
    assert set(info.value.fields) == {"territory"}


@pytest.mark.parametrize("value", [{"ko": "대한민국", "fr": "Corée"}, {"ko": None},
                                   {"en": 3}, ["대한민국"], 7])
def test_a_text_of_another_shape_is_refused(ctx, value):
    with pytest.raises(DomainError) as info:
        validate_terms("license", {**LICENSE, "territory": value})
    assert set(info.value.fields) == {"territory"}


@pytest.mark.parametrize("deal_type", sorted(FREE_TEXT))
def test_the_offer_form_has_a_korean_and_an_english_input_per_free_text_term(
        app, client, parties, deal_type):
    with app.app_context():
        deal = negotiating_deal(parties)
        deal.deal_type = deal_type
        db.session.commit()
        deal_id = deal.id
    login(client, parties["buyer"], lang="ko")
    html = client.get(f"/ko/deals/{deal_id}/terms/new").get_data(as_text=True)
    for name in FREE_TEXT[deal_type]:
        assert re.search(rf'<label[^>]*for="{name}_ko"[^>]*>[^<]*· 한국어</label>', html), name
        assert re.search(rf'<label[^>]*for="{name}_en"[^>]*>[^<]*· English</label>', html), name
        for lang in ("ko", "en"):
            assert re.search(rf'id="{name}_{lang}" lang="{lang}" name="{name}_{lang}"', html)
        assert f'name="{name}"' not in html


def test_both_languages_typed_in_the_form_are_kept_and_offered_back(app, client, parties):
    with app.app_context():
        deal_id = negotiating_deal(parties).id
        db.session.commit()
    login(client, parties["buyer"], lang="ko")
    response = client.post(f"/ko/deals/{deal_id}/terms/new", data={
        "based_on_version": "0", "currency": "KRW", "upfront_fee": "50,000,000",
        "field_of_use_ko": "산업용 드론 배터리 팩",
        "field_of_use_en": "Industrial drone battery packs",
        "territory_ko": "대한민국", "exclusivity": "exclusive", "term_months": "36"})
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    with app.app_context():
        fields = db.session.get(Deal, deal_id).current_terms.fields
    assert fields["field_of_use"] == {"ko": "산업용 드론 배터리 팩",
                                      "en": "Industrial drone battery packs"}
    assert fields["territory"] == {"ko": "대한민국"}
    html = client.get(f"/ko/deals/{deal_id}/terms/new").get_data(as_text=True)
    assert "Industrial drone battery packs</textarea>" in html
    assert "산업용 드론 배터리 팩</textarea>" in html


def test_a_missing_text_is_shown_on_the_korean_input(app, client, parties):
    with app.app_context():
        deal_id = negotiating_deal(parties).id
        db.session.commit()
    login(client, parties["buyer"], lang="ko")
    response = client.post(f"/ko/deals/{deal_id}/terms/new", data={
        "based_on_version": "0", "currency": "KRW", "upfront_fee": "1", "field_of_use_ko": "x",
        "exclusivity": "exclusive", "term_months": "36"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'id="territory_ko"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*'
                     r'id="territory_ko"', html)
    assert "필수 항목입니다." in html


def test_terms_show_in_the_readers_language_else_the_other_marked(app, client, parties):
    with app.app_context():
        deal = negotiating_deal(parties)
        deal.propose_terms(load(parties["buyer"]), None, {
            **LICENSE, "field_of_use": {"ko": "전기차 배터리", "en": "EV batteries"},
            "territory": {"ko": "대한민국"}})
        db.session.commit()
        deal_id = deal.id
    login(client, parties["seller"], lang="en")
    english = client.get(f"/en/deals/{deal_id}").get_data(as_text=True)
    assert "EV batteries" in english and "전기차 배터리" not in english
    assert '<span lang="ko">대한민국</span>' in english
    login(client, parties["buyer"], lang="ko")
    korean = client.get(f"/ko/deals/{deal_id}").get_data(as_text=True)
    assert "전기차 배터리" in korean and "EV batteries" not in korean
    assert "대한민국" in korean and 'lang="ko">대한민국' not in korean


def _tokens(app, parties):
    with app.test_request_context():
        out = {name: {"Authorization": "Bearer " + create_token(
            db.session.merge(parties[name]), "t")[1]} for name in ("buyer", "seller")}
        db.session.commit()
    return out


def test_the_api_takes_a_plain_string_or_both_languages(app, client, parties):
    with app.app_context():
        deal_id = negotiating_deal(parties).id
        db.session.commit()
    tokens = _tokens(app, parties)
    offer = client.post(f"/api/v1/deals/{deal_id}/terms", headers=tokens["buyer"], json={
        "based_on_version": None, "terms": {
            **LICENSE, "field_of_use": "Industrial drone battery packs",
            "territory": {"ko": "대한민국", "en": "Republic of Korea"},
            "conditions": "분기별 보고서 제출"}})
    assert offer.status_code == 201, offer.get_json()
    terms = offer.get_json()["terms"]
    assert terms["field_of_use"] == {"en": "Industrial drone battery packs"}
    assert terms["territory"] == {"ko": "대한민국", "en": "Republic of Korea"}
    assert terms["conditions"] == {"ko": "분기별 보고서 제출"}
    bad = client.post(f"/api/v1/deals/{deal_id}/terms", headers=tokens["seller"], json={
        "based_on_version": 1, "terms": {**LICENSE, "territory": {"de": "Korea"}}})
    assert bad.status_code == 400 and "territory" in bad.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.get(Deal, deal_id).current_version == 1


def test_the_api_document_describes_both_forms_of_a_free_text_term(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    body = next(s for s in schemas.values()
                if "oneOf" in s.get("properties", {}).get("terms", {}))
    licence = next(s for s in body["properties"]["terms"]["oneOf"]
                   if "field_of_use" in s["properties"])
    forms = licence["properties"]["field_of_use"]["oneOf"]
    assert [f["type"] for f in forms] == ["string", "object"]
    assert set(forms[1]["properties"]) == {"ko", "en"}
    assert forms[1]["additionalProperties"] is False
    assert [rule["required"] for rule in forms[1]["anyOf"]] == [["ko"], ["en"]]
    conditions = licence["properties"]["conditions"]["oneOf"]
    assert "anyOf" not in conditions[1]
