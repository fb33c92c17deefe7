"""Korean particles agree with how the word before them is read."""

import pytest

from marketplace.documents.korean_particles import Final, attach, final_sound, particle

TABLE = [
    # Hangul: vowel-final, consonant-final, ㄹ-final
    ("한빛전자", Final.VOWEL),
    ("비전마켓", Final.CONSONANT),
    ("대전지방법원", Final.CONSONANT),
    ("서울", Final.RIEUL),
    ("주식회사 하늘", Final.RIEUL),
    ("대한정밀산업 주식회사", Final.VOWEL),
    # a trailing parenthetical, quotes or full stop do not count
    ('한빛전자(이하 "을"이라 한다)', Final.VOWEL),
    ('비전마켓(이하 "갑"이라 한다)', Final.CONSONANT),
    ("₩480,000,000(부가가치세 별도)", Final.CONSONANT),
    ("한빛전자(주)", Final.VOWEL),
    ("하늘㈜", Final.RIEUL),
    ('"본 계약"', Final.CONSONANT),
    ("2026년 9월 30일", Final.RIEUL),
    # digits by their Korean reading
    ("0", Final.CONSONANT),  # 영
    ("1", Final.RIEUL),  # 일
    ("2", Final.VOWEL),  # 이
    ("3", Final.CONSONANT),  # 삼
    ("4", Final.VOWEL),  # 사
    ("5", Final.VOWEL),  # 오
    ("6", Final.CONSONANT),  # 육
    ("7", Final.RIEUL),  # 칠
    ("8", Final.RIEUL),  # 팔
    ("9", Final.VOWEL),  # 구
    ("10", Final.CONSONANT),  # 십
    ("200", Final.CONSONANT),  # 이백
    ("1,000", Final.CONSONANT),  # 천
    ("50000", Final.CONSONANT),  # 오만
    ("300000000", Final.CONSONANT),  # 삼억
    ("2000000000000", Final.VOWEL),  # 이조
    ("12", Final.VOWEL),  # 십이
    ("3.5", Final.VOWEL),  # 삼 점 오
    ("VS-200", Final.CONSONANT),
    ("제10조", Final.VOWEL),
    # amounts are read with the currency's name, percentages with 퍼센트
    ("₩50,000,000", Final.CONSONANT),  # 원
    ("US$85,000.00", Final.VOWEL),  # 달러
    ("€1,200.00", Final.VOWEL),  # 유로
    ("JP¥1,000", Final.CONSONANT),  # 엔
    ("3.5%", Final.VOWEL),  # 퍼센트
    # Latin letters: capitals by their Korean names, words as loanwords are written
    ("LG", Final.VOWEL),  # 지
    ("SK", Final.VOWEL),  # 케이
    ("GreenCell AI", Final.VOWEL),  # 아이
    ("IoT", Final.VOWEL),  # 티
    ("URL", Final.RIEUL),  # 엘
    ("HR", Final.RIEUL),  # 알
    ("IBM", Final.CONSONANT),  # 엠
    ("CNN", Final.CONSONANT),  # 엔
    ("Apple", Final.VOWEL),  # 애플
    ("Mobile", Final.RIEUL),  # 모바일
    ("Global", Final.RIEUL),  # 글로벌
    ("Team", Final.CONSONANT),  # 팀
    ("MediVision", Final.CONSONANT),  # 메디비전
    ("Holding", Final.CONSONANT),  # 홀딩
    ("Game", Final.CONSONANT),  # 게임
    ("Phone", Final.CONSONANT),  # 폰
    ("BioLens Lab", Final.CONSONANT),  # 랩
    ("Black", Final.CONSONANT),  # 블랙
    ("Partner", Final.VOWEL),  # 파트너
    ("Tech", Final.VOWEL),  # 테크
    ("Soft", Final.VOWEL),  # 소프트
    ("Nuri Battery Inc.", Final.VOWEL),  # 잉크
    ("Hanbit Robotics Co., Ltd.", Final.VOWEL),  # 리미티드
    ("SkyDrone Works", Final.VOWEL),  # 웍스
    # what cannot be read
    ("漢陽", None),
    ("", None),
    ("()", None),
]


@pytest.mark.parametrize(("word", "sound"), TABLE)
def test_final_sound(word, sound):
    assert final_sound(word) is sound


@pytest.mark.parametrize(
    ("word", "name", "expected"),
    [
        ("한빛전자", "은/는", "는"),
        ("비전마켓", "은/는", "은"),
        ("서울", "은/는", "은"),
        ("한빛전자", "이/가", "가"),
        ("비전마켓", "이/가", "이"),
        ("한빛전자", "을/를", "를"),
        ("비전마켓", "을/를", "을"),
        ("한빛전자", "과/와", "와"),
        ("비전마켓", "과/와", "과"),
        ("서울", "과/와", "과"),
        ("한빛전자", "으로/로", "로"),
        ("비전마켓", "으로/로", "으로"),
        ("서울", "으로/로", "로"),  # ㄹ takes 로
        ("2026년 9월 30일", "으로", "로"),
        ("1", "으로", "로"),
        ("3", "으로", "으로"),
        ("서울", "으로서", "로서"),
        ("한빛전자", "이라/라", "라"),
        ("비전마켓", "이라", "이라"),
        ("서울", "이라", "이라"),
        ("한빛전자", "아/야", "야"),
        # any spelling of the pair names the same particle
        ("한빛전자", "은", "는"),
        ("한빛전자", "는", "는"),
        ("비전마켓", "는", "은"),
        ("비전마켓", "은는", "은"),
        ("비전마켓", "와", "과"),
        ("비전마켓", "로", "으로"),
        # unreadable: both forms, as Korean documents write them
        ("漢陽", "은/는", "은(는)"),
        ("漢陽", "으로", "으로(로)"),
    ],
)
def test_particle(word, name, expected):
    assert particle(word, name) == expected


def test_attach_keeps_the_word_and_adds_the_particle():
    assert attach('한빛전자(이하 "을"이라 한다)', "은/는") == '한빛전자(이하 "을"이라 한다)는'
    assert attach('비전마켓(이하 "갑"이라 한다)', "과/와") == '비전마켓(이하 "갑"이라 한다)과'
    assert attach("₩480,000,000", "으로") == "₩480,000,000으로"
    assert attach("US$85,000.00(부가가치세 별도)", "으로") == "US$85,000.00(부가가치세 별도)로"


def test_an_unknown_particle_is_refused():
    with pytest.raises(ValueError, match="unknown particle"):
        particle("한빛전자", "에게")
