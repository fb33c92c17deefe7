"""Deal fixtures: two parties with a published offering, and helpers to open deals."""

import pytest

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingKind, ListingStatus

ALL_TYPES = ["license", "transfer", "joint_development", "poc", "supply", "investment"]


def make_listing(org_id, kind="offering", deal_types=None, confidential="Secret process notes",
                 title="배터리 열화 예측 AI"):
    listing = Listing(kind=ListingKind(kind), status=ListingStatus.published,
                      organisation_id=org_id, title_ko=title, title_en="Battery ageing AI",
                      summary_ko="요약", sector="ai", trl=6 if kind == "offering" else None,
                      min_trl=4 if kind == "need" else None,
                      deal_types=deal_types if deal_types is not None else ALL_TYPES,
                      confidential_text=confidential, published_at=utcnow())
    db.session.add(listing)
    db.session.flush()
    return listing


def load(user) -> User:
    return db.session.get(User, user.id)


@pytest.fixture
def parties(app, make_user):
    """buyer (firm), seller (startup), outsider (firm), staff, other staff, admin; plus an
    offering of the seller and a need of the buyer (ids)."""
    people = {
        "buyer": make_user(kind="firm", lang="ko"),
        "seller": make_user(kind="startup", lang="en"),
        "outsider": make_user(kind="firm"),
        "staff": make_user(kind="agency", role="staff"),
        "other_staff": make_user(kind="agency", role="staff"),
        "admin": make_user(kind=None, role="admin"),
    }
    with app.app_context():
        offering = make_listing(people["seller"].organisation_id)
        need = make_listing(people["buyer"].organisation_id, kind="need",
                            confidential="Our plant layout", title="배터리 수명 예측 필요")
        db.session.commit()
        people["offering_id"], people["need_id"] = offering.id, need.id
    return people


def open_deal(p, deal_type="license", require_nda=False, with_need=False, fresh=False):
    """Open a deal as the buyer (inside an app context); returns the Deal (flushed). With
    `fresh`, on a new offering of the seller (one open deal per offering and type)."""
    from marketplace.deals import services

    offering = (make_listing(p["seller"].organisation_id) if fresh
                else db.session.get(Listing, p["offering_id"]))
    need = db.session.get(Listing, p["need_id"]) if with_need else None
    return services.open_deal(load(p["buyer"]), offering, need, deal_type=deal_type,
                              message="안녕하세요, 라이선스에 관심이 있습니다.",
                              require_nda=require_nda)


LICENSE = {"currency": "KRW", "upfront_fee": 50_000_000, "royalty_percent": 3.5,
           "field_of_use": {"ko": "전기차 배터리", "en": "EV batteries"},
           "territory": {"ko": "대한민국", "en": "Republic of Korea"}, "exclusivity": "exclusive",
           "term_months": 36}


def negotiating_deal(p, fresh=False):
    deal = open_deal(p, fresh=fresh)
    deal.accept_inquiry(load(p["seller"]))
    return deal


def fill_nda_details(p, seller_name=None, buyer_name=None):
    """Give both parties' organisations the addresses the NDA prints (inside an app context,
    flushed); optionally their Korean names."""
    from marketplace.accounts.models import Organisation

    for who, address, name in (("seller", "대전광역시 유성구 대학로 99", seller_name),
                               ("buyer", "서울특별시 강남구 테헤란로 321", buyer_name)):
        org = db.session.get(Organisation, p[who].organisation_id)
        org.address_ko = address
        if name:
            org.name_ko = name
    db.session.flush()
