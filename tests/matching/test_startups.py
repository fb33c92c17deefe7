"""An investor's startups: one row per startup with its best offerings under it, weighed by
stage, ticket (across currencies), readiness and language; the page and the API."""

import pytest
import sqlalchemy as sa

from marketplace.accounts.profiles import update_profile
from marketplace.api.tokens import create_token
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.matching import profiles
from marketplace.matching.records import InvestorMatch
from marketplace.matching.startups import ranked_startups
from tests.conftest import login
from tests.listings.helpers import make_listing, user

EN = {"title_ko": None, "summary_ko": None, "description_ko": None,
      "title_en": "Delivery drones", "summary_en": "Long-range drones for parcels.",
      "description_en": "Autonomous drones that carry parcels to islands and mountains.",
      "keywords": ["drone"], "trl": 7}


def _startup(app, make_user, stage=None, sought=None, currency="USD", **listing):
    member = make_user(kind="startup")
    with app.test_request_context():
        listing_id = make_listing(member, **listing)
        if stage or sought:
            update_profile(user(member.id).organisation, user(member.id), {
                "stage": stage, "funding_sought": sought, "funding_currency": currency})
            db.session.commit()
    return member, listing_id


def _scored(investor_org_id, startup_org_id, listing_id, score, rank):
    db.session.add(InvestorMatch(investor_org_id=investor_org_id, startup_org_id=startup_org_id,
                                 offering_id=listing_id, score=score, rank=rank,
                                 explanation={}, model_version="test",
                                 computed_at=utcnow()))


@pytest.fixture
def ranked(app, make_user):
    """Four startups scored for one English-reading investor (Series A, $0.5–3M, TRL ≥ 5)."""
    investor = make_user(kind="investor", lang="en")
    korean, korean_id = _startup(app, make_user, trl=7)
    english, english_id = _startup(app, make_user, **EN)
    two, two_a = _startup(app, make_user, stage="series_a", sought=5_000_000_000,
                          currency="KRW", **EN)  # ₩5bn ≈ $3.6M at 1,400: above the ticket
    with app.test_request_context():
        two_b = make_listing(two, **(EN | {"title_en": "Drone docking stations"}))
    early, early_id = _startup(app, make_user, stage="series_a", sought=100_000_000,
                               **(EN | {"trl": 4}))  # $1M: within the ticket
    with app.test_request_context():
        profiles.save_profile(user(investor.id), {
            "sectors": ["drone"], "stages": ["series_a"], "currency": "USD",
            "ticket_min": 50_000_000, "ticket_max": 300_000_000, "trl_min": 5,
            "languages": ["en"]})
        org = investor.organisation_id
        _scored(org, korean.organisation_id, korean_id, 0.70, 1)
        _scored(org, english.organisation_id, english_id, 0.70, 2)
        _scored(org, two.organisation_id, two_a, 0.66, 3)
        _scored(org, two.organisation_id, two_b, 0.60, 4)
        _scored(org, early.organisation_id, early_id, 0.75, 5)
        db.session.commit()
    return {"investor": investor, "korean": korean, "english": english, "two": two,
            "early": early, "two_ids": (two_a, two_b)}


def test_one_row_per_startup_weighed_by_stage_ticket_readiness_and_language(app, ranked):
    with app.test_request_context():
        profile = profiles.profile_for(user(ranked["investor"].id).organisation)
        fits = ranked_startups(profile)
        order = [f.organisation.id for f in fits]
        by_org = {f.organisation.id: f for f in fits}
    two, early = by_org[ranked["two"].organisation_id], by_org[ranked["early"].organisation_id]
    assert [o.listing.id for o in two.offerings] == list(ranked["two_ids"])
    assert two.facts["stage"] == "fits" and two.facts["ticket"] == "above"
    assert early.facts["ticket"] == "fits" and early.offerings[0].below_min_trl
    # 0.75 - 0.15 (TRL 4 < 5) + 0.05 (stage) + 0.05 (ticket) = 0.70: ties with the readable one
    assert early.score == pytest.approx(0.70)
    korean = by_org[ranked["korean"].organisation_id]
    assert korean.missing_language == "en" and korean.score == pytest.approx(0.68)
    # 0.66 + 0.03 (a second offering) + 0.05 (stage) - 0.05 (ticket) = 0.69
    assert two.score == pytest.approx(0.69)
    # the Korean-only startup scored as the English one (0.70) and ranks last, below it
    assert order == [ranked[name].organisation_id for name in ("english", "early", "two",
                                                               "korean")]


def test_the_page_and_the_api_show_startups_with_their_marks(app, client, ranked):
    investor = ranked["investor"]
    login(client, investor, lang="en")
    page = client.get("/en/matches/startups").get_data(as_text=True)
    assert page.count("data-startup=") == 4
    assert 'data-ask-language="en"' in page and "Korean only — ask for English" in page
    assert f"/en/introductions/new?startup={ranked['two'].organisation_id}" in page
    assert "Below your minimum TRL" in page
    with app.test_request_context():
        header = {"Authorization": f"Bearer {create_token(user(investor.id), 't')[1]}"}
        db.session.commit()
    body = client.get("/api/v1/investor-profile/matches?lang=ko", headers=header).get_json()
    first = body["items"][0]
    assert set(first) == {"organisation", "score", "explanation", "reasons",
                          "ask_for_language", "offerings"}
    two = next(i for i in body["items"]
               if i["organisation"]["id"] == ranked["two"].organisation_id)
    assert [o["id"] for o in two["offerings"]] == list(ranked["two_ids"])
    assert "투자 단계(시리즈 A)가 관심 단계에 맞음" in two["reasons"]
    assert any("투자 규모보다 큼" in r for r in two["reasons"])


def test_the_profile_api_reads_and_patches(app, client, make_user):
    investor = make_user(kind="investor")
    firm = make_user(kind="firm")
    with app.test_request_context():
        header = {"Authorization": f"Bearer {create_token(user(investor.id), 't')[1]}"}
        firm_header = {"Authorization": f"Bearer {create_token(user(firm.id), 't')[1]}"}
        db.session.commit()
    assert client.get("/api/v1/investor-profile", headers=header).status_code == 404
    made = client.patch("/api/v1/investor-profile", headers=header, json={
        "sectors": ["energy"], "stages": ["seed", "series_a"], "ticket_currency": "KRW",
        "ticket_min": 100_000_000, "ticket_max": 1_000_000_000, "languages": ["ko", "en"]})
    assert made.status_code == 200, made.get_json()
    assert made.get_json()["ticket_currency"] == "KRW" and made.get_json()["version"] == 1
    changed = client.patch("/api/v1/investor-profile", headers=header, json={"regions": ["KR"]})
    body = changed.get_json()
    assert body["regions"] == ["KR"] and body["sectors"] == ["energy"] and body["version"] == 2
    bad = client.patch("/api/v1/investor-profile", headers=header,
                       json={"ticket_min": 5, "ticket_max": 1})
    assert bad.status_code == 400 and "ticket_max" in bad.get_json()["error"]["fields"]
    assert client.get("/api/v1/investor-profile", headers=header).get_json()["version"] == 2
    assert client.get("/api/v1/investor-profile", headers=firm_header).status_code == 404
    assert client.get("/api/v1/investor-profile/matches",
                      headers=firm_header).status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InvestorMatch)) == 0
