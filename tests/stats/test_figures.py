"""Every figure against the hand-counted programme in conftest.py."""

from datetime import date

import pytest

from marketplace.errors import DomainError
from marketplace.stats import figures
from marketplace.stats.figures import Filters

ALL = Filters()
AI = Filters(sector="ai")
FEBRUARY = Filters(start=date(2026, 2, 1), end=date(2026, 2, 28))


@pytest.fixture
def counted(programme, ctx):
    return programme


def test_listings_count_published_and_closed_but_not_drafts_hidden_or_archived(counted):
    assert [(r["sector"], r["month"], r["needs"], r["offerings"], r["open_needs"],
             r["open_offerings"]) for r in figures.listings_by_sector_month(ALL)] == [
        ("ai", "2026-01", 1, 1, 1, 1),
        ("ai", "2026-02", 0, 1, 0, 0),  # L3, closed
        ("drone", "2026-02", 1, 0, 1, 0),  # not L5, hidden
        ("ai", "2026-03", 1, 0, 1, 0),
        ("drone", "2026-03", 1, 1, 0, 1),  # L9 closed
    ]
    totals = figures.listing_totals(figures.listings_by_sector_month(ALL))
    assert totals == {"needs": 4, "offerings": 3, "by_sector": {
        "ai": {"needs": 2, "offerings": 2}, "drone": {"needs": 2, "offerings": 1}}}


def test_listings_by_period_and_sector(counted):
    assert [(r["sector"], r["month"], r["needs"], r["offerings"])
            for r in figures.listings_by_sector_month(FEBRUARY)] == [
        ("ai", "2026-02", 0, 1), ("drone", "2026-02", 1, 0)]
    assert [r["month"] for r in figures.listings_by_sector_month(AI)] == [
        "2026-01", "2026-02", "2026-03"]


def test_gap_counts_listings_open_now(counted):
    assert figures.supply_demand_gap(ALL) == [
        {"sector": "ai", "needs": 2, "offerings": 1, "gap": 1},
        {"sector": "drone", "needs": 1, "offerings": 1, "gap": 0}]
    assert figures.supply_demand_gap(FEBRUARY) == [  # L3 closed: nothing open in ai
        {"sector": "drone", "needs": 1, "offerings": 0, "gap": 1}]


def test_matches_made_dismissed_and_turned_into_deals(counted):
    assert figures.matches(ALL) == {
        "listings": {"made": 4, "dismissed": 2, "deal_opened": 1},
        "investors": {"made": 2, "dismissed": 1, "deal_opened": 1}}
    assert figures.matches(AI) == {
        "listings": {"made": 3, "dismissed": 1, "deal_opened": 1},
        "investors": {"made": 1, "dismissed": 0, "deal_opened": 1}}


def test_deals_by_state_and_type(counted):
    data = figures.deals_by_state_and_type(ALL)
    assert {k: v for k, v in data["by_state"].items() if v} == {
        "closed": 1, "signed": 1, "paid": 1, "withdrawn": 2, "declined": 1, "inquiry": 1}
    assert {k: v for k, v in data["by_type"].items() if v} == {
        "license": 2, "transfer": 1, "supply": 1, "poc": 1, "investment": 1,
        "joint_development": 1}
    assert data["by_state"]["expired"] == 0 and data["by_type"]["acquisition"] == 0


def test_funnel_counts_deals_that_ever_reached_a_stage(counted):
    # D7 was withdrawn after agreeing; D2 went back to drafting once: each still counts once.
    assert figures.funnel(ALL) == {"inquiry": 7, "agreed": 4, "signed": 3, "paid": 2}
    assert figures.funnel(AI) == {"inquiry": 4, "agreed": 2, "signed": 2, "paid": 1}
    assert figures.funnel(FEBRUARY) == {"inquiry": 2, "agreed": 1, "signed": 1, "paid": 1}


def test_median_days_per_stage(counted):
    assert figures.stage_days(ALL) == [
        {"from": "inquiry", "to": "agreed", "deals": 4, "median_days": 7.0},  # 4, 7, 7, 10
        {"from": "agreed", "to": "signed", "deals": 3, "median_days": 5.0},   # 5, 10, 2
        {"from": "signed", "to": "paid", "deals": 2, "median_days": 6.0}]     # 2, 10
    assert figures.stage_days(Filters(sector="fintech"))[0] == {
        "from": "inquiry", "to": "agreed", "deals": 0, "median_days": None}


def test_signed_contracts_keep_currencies_apart(counted):
    # C2v1 was voided; a supply's value is quantity x unit price.
    assert figures.contracts_signed(ALL) == {
        "KRW": {"contracts": 2, "value": 80_000_000},
        "USD": {"contracts": 1, "value": 12_000_000}}
    assert figures.contracts_signed(FEBRUARY) == {
        "KRW": {"contracts": 1, "value": 30_000_000}, "USD": {"contracts": 0, "value": 0}}
    assert figures.contracts_signed(AI)["KRW"] == {"contracts": 1, "value": 50_000_000}


def test_organisations_and_overseas_participation(counted):
    assert figures.organisations_by_kind(ALL) == {
        "firm": {"all": 2, "verified": 2}, "startup": {"all": 3, "verified": 2},
        "investor": {"all": 1, "verified": 1}, "agency": {"all": 1, "verified": 0}}
    assert figures.overseas_organisations(ALL) == {"JP": 2, "GB": 1, "US": 1}
    assert figures.overseas_organisations(Filters(start=date(2026, 2, 1))) == {"JP": 1}
    assert figures.english_users(ALL) == 2  # not the deactivated investor, not staff


def test_filters_refuse_a_reversed_period_and_an_unknown_sector():
    with pytest.raises(DomainError) as err:
        Filters(start=date(2026, 3, 1), end=date(2026, 2, 1), sector="nope")
    assert set(err.value.fields) == {"from", "sector"}
    with pytest.raises(DomainError) as err:
        Filters.from_args({"from": "2026-13-01"})
    assert set(err.value.fields) == {"from"}


def test_programme_counts_for_the_targets(counted):
    assert figures.programme_counts() == {"firms": 2, "startups": 2, "matches": 6}
