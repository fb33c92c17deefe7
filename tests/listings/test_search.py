from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace import korean
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.listings import services, text
from marketplace.listings.models import Listing, ListingTerm
from marketplace.listings.search import parse_params, search_listings

from .helpers import make_listing, user


def test_query_terms():
    assert text.query_terms("미세먼지") == ["미세", "먼지"]
    assert text.query_terms("배터리") == ["배터", "터리"]
    assert text.query_terms("드론을") == ["드론"]
    assert text.query_terms("Batteries MONITORING") == ["battery", "monitor"]
    assert text.query_terms("the of") == []


def test_kiwi_is_built_once():
    assert korean.analyser() is korean.analyser()


@pytest.fixture
def corpus(ctx, make_user):
    startup, firm = make_user(kind="startup"), make_user(kind="firm", verified=True)
    unverified = make_user(kind="startup", verified=True)
    ids = {
        "bms": make_listing(startup, title_ko="배터리관리시스템 진단 솔루션"),
        "drone": make_listing(startup, title_ko="물류드론 자동 충전 스테이션",
                              summary_ko="드론 배송 거점용 충전 설비입니다.",
                              description_ko="물류 드론이 착륙하면 자동으로 충전합니다.",
                              keywords=["드론"], sector="drone", trl=5,
                              deal_types=["supply"]),
        "english": make_listing(startup, title_ko=None, summary_ko=None, description_ko=None,
                                keywords=["monitoring"],
                                title_en="Battery Monitoring for Drones",
                                summary_en="Monitors drone batteries in flight.",
                                description_en="Our sensors monitored 2,000 flights.",
                                trl=8, deal_types=["license"]),
        "draft": make_listing(startup, publish=False, title_ko="배터리 비공개 초안"),
        "dust": make_listing(firm),
        "dust_late": make_listing(firm, title_ko="사무실 미세먼지 센서",
                                  deadline=utcnow() + timedelta(days=90)),
    }
    with_unverified = db.session.get(Listing, make_listing(unverified, title_ko="배터리 재활용"))
    with_unverified.organisation.verification = "pending"
    db.session.commit()
    ids["unverified"] = with_unverified.id
    return ids


def _ids(kind, **params):
    items, total = search_listings(kind, params)
    assert total == len(items) or total > len(items)
    return [item.id for item in items]


def test_korean_words_find_compounds(corpus):
    assert set(_ids("need", q="미세먼지")) == {corpus["dust"], corpus["dust_late"]}
    assert corpus["bms"] in _ids("offering", q="배터리")
    assert _ids("offering", q="드론") and corpus["drone"] in _ids("offering", q="드론")
    assert corpus["drone"] in _ids("offering", q="드론을")
    assert _ids("offering", q="충전 스테이션") == [corpus["drone"]]
    assert _ids("offering", q="우주선") == []


def test_english_is_case_and_stem_insensitive(corpus):
    for q in ("battery", "Batteries", "MONITORING", "monitor drones"):
        assert corpus["english"] in _ids("offering", q=q), q


def test_drafts_and_hidden_are_never_listed(corpus, make_user):
    assert corpus["draft"] not in _ids("offering", q="배터리")
    assert corpus["draft"] not in _ids("offering")


def test_relevance_ranks_title_matches_first(corpus):
    ids = _ids("offering", q="드론")
    assert ids[0] == corpus["drone"]


def test_filters(corpus):
    assert _ids("offering", sector="drone") == [corpus["drone"]]
    assert _ids("offering", trl_min=8) == [corpus["english"]]
    assert corpus["english"] not in _ids("offering", trl_max=7)
    assert _ids("offering", deal_type="supply") == [corpus["drone"]]
    assert _ids("offering", lang="en") == [corpus["english"]]
    assert corpus["english"] not in _ids("offering", lang="ko")
    assert corpus["unverified"] in _ids("offering")
    assert corpus["unverified"] not in _ids("offering", verified="1")
    assert _ids("need", sort="deadline") == [corpus["dust"], corpus["dust_late"]]
    assert _ids("need", sector="bogus", trl_min="x", sort="weird")  # bad values are ignored


def test_paging(corpus):
    items, total = search_listings("offering", {"per_page": 2, "page": 2})
    assert total == 4 and len(items) == 2
    items, total = search_listings("offering", {"per_page": 2, "page": 99})
    assert total == 4 and items == []


def test_parse_params():
    p = parse_params({"q": " 드론 ", "trl_min": "3", "trl_max": "12", "verified": "on",
                      "page": "0"})
    assert (p.q, p.trl_min, p.trl_max, p.verified, p.page) == ("드론", 3, None, True, 1)


def test_reindex_on_update(corpus):
    listing = db.session.get(Listing, corpus["bms"])
    owner = user(listing.created_by_id)
    services.update_listing(listing, owner, {"title_ko": "수소 연료전지 진단",
                                             "keywords": ["수소"]})
    db.session.commit()
    assert corpus["bms"] in _ids("offering", q="연료전지")
    assert corpus["bms"] not in _ids("offering", q="솔루션")


def test_closed_and_hidden_leave_keyword_search(corpus, make_user):
    staff = make_user(kind="agency", role="staff")
    drone = db.session.get(Listing, corpus["drone"])
    owner = user(drone.created_by_id)
    assert corpus["drone"] in _ids("offering", q="충전")
    drone.close(owner, "withdrawn")
    db.session.commit()
    assert corpus["drone"] not in _ids("offering", q="충전")
    drone.reopen(owner)
    db.session.commit()
    assert corpus["drone"] in _ids("offering", q="충전")
    drone = db.session.get(Listing, corpus["drone"])
    drone.hide(user(staff.id), "spam")
    db.session.commit()
    assert corpus["drone"] not in _ids("offering", q="충전")
    assert corpus["drone"] not in _ids("offering", q="충전", sort="newest")


def test_keyword_search_with_index_only_filters(corpus):
    assert _ids("offering", q="드론", sector="drone", trl_max=5) == [corpus["drone"]]
    assert _ids("offering", q="드론", sector="drone", trl_min=6) == []
    assert _ids("offering", q="충전", sort="newest", deal_type="supply") == [corpus["drone"]]


def test_keyword_search_filters_deal_types_and_languages_in_the_index(corpus):
    assert _ids("offering", q="드론", deal_type="supply") == [corpus["drone"]]
    assert _ids("offering", q="drone", deal_type="license") == [corpus["english"]]
    assert _ids("offering", q="battery", deal_type="supply") == []
    assert corpus["english"] in _ids("offering", q="battery", lang="en")
    assert _ids("offering", q="battery", lang="ko") == []
    terms = db.session.scalars(sa.select(ListingTerm).where(
        ListingTerm.listing_id == corpus["english"])).all()
    assert terms and {(t.deal_types, t.languages) for t in terms} == {(0b1, 0b10)}

    listing = db.session.get(Listing, corpus["english"])  # an edit reaches the index
    services.update_listing(listing, user(listing.created_by_id), {
        "deal_types": ["poc", "supply"], "title_ko": "드론 배터리 모니터링",
        "summary_ko": "비행 중인 드론의 배터리를 살핍니다.",
        "description_ko": "센서가 비행 2,000회를 기록했습니다."})
    db.session.commit()
    assert _ids("offering", q="battery", deal_type="license") == []
    assert _ids("offering", q="battery", deal_type="poc") == [corpus["english"]]
    assert _ids("offering", q="battery", lang="ko") == [corpus["english"]]
