"""Shared builders for listing tests."""

from datetime import timedelta

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.listings import services

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE = b"MZ\x90\x00" + b"\x00" * 64


def offering_data(**overrides) -> dict:
    data = {
        "title_ko": "배터리관리시스템 기반 전기차 배터리 진단",
        "summary_ko": "BMS 데이터로 배터리 잔존 수명을 예측합니다.",
        "description_ko": "전기차 배터리관리시스템(BMS) 데이터를 분석해 셀 불균형과 열화를 "
                          "조기에 찾아냅니다. 물류드론 배터리에도 적용했습니다.",
        "sector": "mobility", "trl": 7, "deal_types": ["license", "poc"],
        "keywords": ["배터리", "BMS"], "price_min": 10_000_000, "price_max": 50_000_000,
        "currency": "KRW", "ip_status": "applied",
        "patent_applications": ["10-2023-0123456"],
        "evidence": "완성차 2개사 파일럿", "confidential_text": "셀 밸런싱 알고리즘 상세",
    }
    data.update(overrides)
    return data


def need_data(**overrides) -> dict:
    data = {
        "title_ko": "공장 미세먼지 저감 기술",
        "summary_ko": "도장 공정의 미세먼지를 줄일 기술을 찾습니다.",
        "description_ko": "도장 라인에서 발생하는 미세먼지 저감 설비가 필요합니다. "
                          "기존 집진기와 연동되어야 합니다.",
        "sector": "environment", "min_trl": 6, "deal_types": ["poc", "supply"],
        "expected_benefit": "배출량 30% 감소", "deadline": utcnow() + timedelta(days=30),
    }
    data.update(overrides)
    return data


def user(user_id: int) -> User:
    return db.session.get(User, user_id)


def make_listing(owner, publish=True, **overrides):
    """A listing by `owner` (a detached User from make_user), committed; returns its id."""
    u = user(owner.id)
    kind = services.kind_for_organisation(u.organisation)
    data = offering_data(**overrides) if kind == "offering" else need_data(**overrides)
    listing = services.create_listing(u.organisation, u, data)
    if publish:
        listing.publish(u)
    db.session.commit()
    return listing.id
