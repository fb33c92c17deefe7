"""Small cells on the public figures: a count of deals or matches below STATS_MIN_CELL (not
zero) is withheld on /<lang>/ecosystem and GET /api/v1/stats, and so is a median over fewer
deals; staff dashboards keep the exact numbers."""

import pytest

from tests.conftest import login


@pytest.fixture(autouse=True)
def threshold(app, monkeypatch):
    monkeypatch.setitem(app.config, "STATS_MIN_CELL", 3)


def test_api_withholds_small_deal_and_match_cells(client, programme):
    data = client.get("/api/v1/stats").get_json()
    # By hand: 7 deals reached inquiry, 4 agreed, 3 signed, 2 paid.
    assert data["deals"]["funnel"] == {"inquiry": 7, "agreed": 4, "signed": 3, "paid": None}
    # One deal in each of closed, signed, paid, declined and inquiry; two withdrawn; zeros stay.
    assert data["deals"]["by_state"]["signed"] is None
    assert data["deals"]["by_state"]["withdrawn"] is None
    assert data["deals"]["by_state"]["nda"] == 0
    assert data["deals"]["by_type"]["license"] is None and data["deals"]["by_type"]["poc"] is None
    assert data["deals"]["median_days"][0] == {"from": "inquiry", "to": "agreed", "deals": 4,
                                               "median_days": 7.0}
    # Two deals went from signed to paid: neither their count nor their median is public.
    assert data["deals"]["median_days"][2] == {"from": "signed", "to": "paid", "deals": None,
                                               "median_days": None}
    assert data["matches"]["listings"] == {"made": 4, "dismissed": None, "deal_opened": None}
    assert data["signed_contracts"] == 3
    # Listings and organisations are public one by one: shown as they are.
    assert data["listings"]["by_sector"]["drone"] == {"needs": 2, "offerings": 1}
    assert data["organisations"]["investor"] == 1


def test_a_sector_with_one_signed_deal_does_not_show_it(client, programme):
    """In drone only D3 (paid) and D4, D7 (withdrawn) were opened: one deal signed."""
    data = client.get("/api/v1/stats?sector=drone").get_json()
    assert data["deals"]["funnel"]["signed"] is None and data["deals"]["funnel"]["paid"] is None
    assert data["deals"]["by_state"]["paid"] is None
    assert data["signed_contracts"] is None
    assert all(row["median_days"] is None for row in data["deals"]["median_days"])
    assert data["deals"]["funnel"]["inquiry"] == 3


def test_threshold_is_the_config_field(app, client, programme, monkeypatch):
    monkeypatch.setitem(app.config, "STATS_MIN_CELL", 1)
    data = client.get("/api/v1/stats?sector=drone").get_json()
    assert data["deals"]["funnel"]["signed"] == 1 and data["signed_contracts"] == 1


def test_ecosystem_page_says_fewer_than_instead_of_the_count(client, programme):
    html = client.get("/en/ecosystem?sector=drone").get_data(as_text=True)
    funnel = html.split('id="figure-funnel"', 1)[1].split("</section>", 1)[0]
    assert "fewer than 3" in funnel and "Counts of deals and matches below 3" in funnel
    assert '<td class="text-end">3</td>' in funnel  # three deals reached inquiry
    ko = client.get("/ko/ecosystem?sector=drone").get_data(as_text=True)
    assert "3 미만" in ko


def test_staff_dashboards_keep_exact_numbers(client, make_user, programme):
    staff = make_user(kind="agency", role="staff")
    login(client, staff)
    html = client.get("/en/staff/dashboards?sector=drone").get_data(as_text=True)
    funnel = html.split('id="figure-funnel"', 1)[1].split("</section>", 1)[0]
    assert "fewer than" not in funnel and '<td class="text-end">1</td>' in funnel
