"""Korean-aware tokens, the concept glossary and the explanation phrase tables."""

import string

import pytest

from marketplace.matching.explanations import (
    DEAL_TYPE_LABELS,
    PHRASES,
    SECTOR_LABELS,
    Explanation,
    explanation_parts,
    render_explanation,
)
from marketplace.matching.glossary import SECTORS, load_glossary, parse_glossary
from marketplace.matching.lexical import BM25, tokenize, tokenize_en


def test_korean_compounds_expose_their_parts():
    tokens = tokenize("물류드론과 배터리관리시스템")
    assert {"드론", "물류", "배터리", "#드론"} <= set(tokens)


def test_two_syllable_korean_words_are_tokens():
    assert "로봇" in tokenize("협동 로봇을 도입합니다")
    assert "보안" in tokenize("보안 솔루션")


def test_english_tokens_are_lowercased_and_lightly_stemmed():
    assert tokenize_en("Batteries for Delivery Drones, PM2.5 sensors") == [
        "battery",
        "delivery",
        "drone",
        "pm2.5",
        "sensor",
    ]


def test_bm25_prefers_the_document_with_the_query_terms():
    bm25 = BM25([tokenize("드론 배송 서비스"), tokenize("영어 에세이 채점"), tokenize("로봇 청소")])
    scores = bm25.score(tokenize("물류드론"))
    assert scores.argmax() == 0


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("물류드론으로 섬 지역에 택배를 보냅니다", "drone_delivery"),
        ("Parcel delivery by drone to islands", "drone"),
        ("미세먼지 측정", "air_quality"),
        ("PM2.5 monitoring network", "air_quality"),
        ("fine dust sensors", "air_quality"),
        ("배터리 관리 시스템", "battery"),
        ("배터리관리시스템(BMS)", "battery"),
        ("a BMS for packs", "battery"),
        ("음향을 자동 감지합니다", "acoustic_detection"),
    ],
)
def test_glossary_maps_both_languages_to_one_concept(text, concept):
    assert concept in load_glossary().find(text)


def test_glossary_does_not_match_short_forms_inside_other_words():
    glossary = load_glossary()
    assert "retail_store" not in glossary.find("스마트 팩토리")  # 마트 inside 스마트
    assert "intelligent_cctv" not in glossary.find("AI 기반 CCTV")  # not the phrase "AI CCTV"


def test_glossary_covers_every_sector_with_labels_in_both_languages():
    glossary = load_glossary()
    sectors = {c.sector for c in glossary.concepts.values()}
    assert set(SECTORS) <= sectors
    for concept in glossary.concepts.values():
        assert concept.label("ko") != concept.label("en") or concept.label("en").isupper()


def test_glossary_parser_reports_bad_lines():
    with pytest.raises(ValueError, match="line|:2"):
        parse_glossary(["# comment", "drone | drone | - | drone"], source="x")
    with pytest.raises(ValueError, match="unknown broader"):
        parse_glossary(["a | ai | nope | a | 가나"], source="x")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_phrase_exists_in_both_languages_with_the_same_fields():
    assert PHRASES["ko"].keys() == PHRASES["en"].keys()
    for key in PHRASES["ko"]:
        assert _fields(PHRASES["ko"][key]) == _fields(PHRASES["en"][key]), key
    for table in (SECTOR_LABELS, DEAL_TYPE_LABELS):
        assert table["ko"].keys() == table["en"].keys()
    assert set(SECTOR_LABELS["ko"]) == set(SECTORS)


def test_explanation_renders_every_branch_in_both_languages():
    explanation = Explanation(
        shared_concepts=("drone_delivery", "lab_specimen"),
        need_sector="drone",
        offering_sector="drone",
        sector_affinity=1.0,
        trl_fit="below",
        offering_trl=5,
        min_trl=6,
        deal_types_shared=(),
        budget_fit="above",
    )
    ko = render_explanation(explanation, "ko")
    en = render_explanation(explanation, "en")
    assert "드론 배송" in ko and "검체" in ko and "TRL 5" in ko and "미달" in ko
    assert "drone delivery" in en and "lab specimen" in en and "below" in en
    assert "No deal type in common" in en and "희망 거래 방식" in ko
    # round-trips through the stored form
    assert render_explanation(explanation.to_dict(), "en") == en
    with pytest.raises(ValueError):
        explanation_parts(explanation, "fr")
