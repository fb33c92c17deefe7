"""The public ecosystem page, GET /api/v1/stats and the staff dashboards with their downloads."""

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.conftest import login


def test_ecosystem_page_in_both_languages(client, programme):
    ko = client.get("/ko/ecosystem")
    assert ko.status_code == 200
    html = ko.get_data(as_text=True)
    assert "숫자로 보는 사업 성과" in html and "거래 단계별 전환" in html
    assert "<svg" in html and "<script>" not in html and "style=" not in html
    assert "<td class=\"text-end\">7</td>" in html  # seven deals reached the inquiry stage
    en = client.get("/en/ecosystem").get_data(as_text=True)
    assert "The programme in figures" in en and "Deal funnel" in en
    assert "50,000,000" not in en and "500,000" not in en  # no contract value is public
    assert 'href="/ko/ecosystem"' in client.get("/ko/").get_data(as_text=True)  # footer


def test_ecosystem_page_filters_and_bad_filters(client, programme):
    page = client.get("/en/ecosystem?from=2026-03-01&to=2026-02-01&sector=nope")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "The start date must not be after the end date." in html
    assert "Choose a sector from the list." in html
    assert client.get("/ko/ecosystem?from=2026-02-30").status_code == 400
    bad = client.get("/ko/ecosystem?from=2026-02-30").get_data(as_text=True)
    assert "날짜를 YYYY. MM. DD. 형식으로 입력해 주세요(예: 2026. 11. 30.)." in bad
    assert 'value="2026-02-30"' in bad  # what was typed stays to correct
    # The page reads dates as people type them; the API keeps ISO dates only.
    assert client.get("/ko/ecosystem?from=2026.%202.%201.&to=20260228").status_code == 200
    assert client.get("/en/ecosystem?from=02/01/2026").status_code == 200
    assert client.get("/en/ecosystem?from=2026-02-01&to=2026-02-28&sector=ai").status_code == 200


def test_api_stats_shape(app, client, programme, monkeypatch):
    monkeypatch.setitem(app.config, "STATS_MIN_CELL", 1)  # every cell shown (see test_privacy)
    response = client.get("/api/v1/stats")
    assert response.status_code == 200
    data = response.get_json()
    assert data["listings"] == {"needs": 4, "offerings": 3, "by_sector": {
        "ai": {"needs": 2, "offerings": 2}, "drone": {"needs": 2, "offerings": 1}}}
    assert data["deals"]["funnel"] == {"inquiry": 7, "agreed": 4, "signed": 3, "paid": 2}
    assert data["deals"]["by_state"]["withdrawn"] == 2
    assert data["deals"]["by_type"]["license"] == 2
    assert data["deals"]["median_days"][0] == {"from": "inquiry", "to": "agreed", "deals": 4,
                                               "median_days": 7.0}
    assert data["organisations"] == {"firm": 2, "startup": 2, "investor": 1, "agency": 0}
    assert data["matches"]["listings"] == {"made": 4, "dismissed": 2, "deal_opened": 1}
    assert data["participation"] == {"overseas_organisations": 4, "countries": 3,
                                     "english_users": 2}
    assert data["signed_contracts"] == 3
    ai = client.get("/api/v1/stats?sector=ai&from=2026-01-01&to=2026-01-31").get_json()
    assert ai["listings"]["by_sector"] == {"ai": {"needs": 1, "offerings": 1}}


@pytest.mark.parametrize("query, field", [
    ("from=2026-03-01&to=2026-02-01", "from"), ("from=yesterday", "from"),
    ("to=2026-02-30", "to"), ("sector=space", "sector")])
def test_api_stats_refuses_bad_parameters(client, query, field):
    response = client.get(f"/api/v1/stats?{query}", headers={"Accept-Language": "ko"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"]
    assert "Traceback" not in response.get_data(as_text=True)


def test_api_stats_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/stats"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"from", "to", "sector"}
    assert "security" not in operation


def test_dashboards_are_for_staff_only(client, make_user, programme):
    assert client.get("/ko/staff/dashboards").status_code == 404  # not even a sign-in prompt
    member = make_user(kind="firm")
    login(client, member)
    assert client.get("/ko/staff/dashboards").status_code == 404
    assert client.get("/ko/staff/dashboards/funnel.csv").status_code == 404
    assert client.get("/ko/staff/dashboards/funnel.xlsx").status_code == 404


@pytest.fixture
def staff_client(client, make_user, programme):
    login(client, make_user(kind=None, role="staff"))
    return client


def test_dashboards_show_every_figure_and_the_targets(staff_client):
    html = staff_client.get("/ko/staff/dashboards").get_data(as_text=True)
    for title in ("분야별·월별 게시 건수", "체결된 계약과 계약 금액", "국가별 해외 기관",
                  "사업 목표 달성 현황"):
        assert title in html
    assert '<progress max="100" value="1"' in html  # 2 of 200 verified firms
    assert "/ko/staff/dashboards/contracts.xlsx" in html
    assert staff_client.get("/ko/staff/dashboards?sector=x").status_code == 400


def test_csv_has_a_bom_and_korean_labels(staff_client):
    response = staff_client.get("/ko/staff/dashboards/funnel.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows == [["도달한 단계", "거래 수"], ["문의", "7"], ["조건 합의", "4"],
                    ["계약 체결", "3"], ["결제 완료", "2"]]
    contracts = staff_client.get("/en/staff/dashboards/contracts.csv?from=2026-02-01")
    assert contracts.data.decode("utf-8-sig").splitlines() == [
        "Currency,Contracts,Value", "KRW,1,30000000", "USD,0,0.00"]


def test_xlsx_opens_and_holds_the_same_numbers(staff_client):
    response = staff_client.get("/ko/staff/dashboards/contracts.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows == [["통화", "계약 수", "금액"], ["KRW", 2, 80_000_000], ["USD", 1, 120_000]]


def test_unknown_download_is_404_and_bad_filter_400(staff_client):
    assert staff_client.get("/ko/staff/dashboards/nothing.csv").status_code == 404
    assert staff_client.get("/ko/staff/dashboards/funnel.pdf").status_code == 404
    assert staff_client.get("/ko/staff/dashboards/funnel.csv?to=x").status_code == 400
