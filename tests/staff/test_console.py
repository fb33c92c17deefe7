"""The console: its home and every page are for staff only (404 for anyone else), counts,
the deal pipeline and the search."""

from datetime import timedelta

import pytest

from marketplace.accounts.models import User
from marketplace.deals.models import Deal
from marketplace.extensions import db
from tests.conftest import login


def console_rules(app):
    """Every console route, from the URL map: the staff blueprint's, the dashboards, and the
    staff pages that live with deals and matches."""
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("staff.") or "/staff/" in rule.rule \
                or rule.rule.endswith("/staff"):
            rules.append(rule)
    return rules


def fill(rule) -> str:
    values = {name: 1 if name not in ("lang_code", "key", "fmt") else
              {"lang_code": "ko", "key": "funnel", "fmt": "csv"}[name]
              for name in rule.arguments}
    path = rule.rule
    for name, value in values.items():
        converter = rule._converters[name]
        token = f"<{type(converter).__name__}:{name}>"
        for spelling in (f"<lang:{name}>", f"<int:{name}>", f"<{name}>", token):
            path = path.replace(spelling, str(value))
    return path


def test_every_console_route_is_404_for_outsiders(app, client, make_user):
    rules = console_rules(app)
    endpoints = {r.endpoint for r in rules}
    assert {"staff.home", "staff.audit", "staff.users", "staff.pipeline", "staff.search",
            "staff.reports", "staff.failed", "stats.dashboards", "deals.staff_queue",
            "deals.integrity", "matching.staff_unmatched"} <= endpoints
    member = make_user(kind="firm")
    other = make_user(kind="startup")
    for who in (None, member, other):
        client.post("/ko/logout")
        if who is not None:
            login(client, who)
        for rule in rules:
            path = fill(rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(path, method=method)
                assert response.status_code == 404, (who, method, path)


def test_admin_only_pages_are_404_for_staff(client, make_user):
    staff = make_user(kind="agency", role="staff")
    login(client, staff)
    for path in ("/ko/staff/audit", "/ko/staff/users", "/ko/staff/confidential-access"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/ko/staff/users/{staff.id}/role", data={"role": "admin"}) \
        .status_code == 404


def test_staff_land_on_the_console_and_see_every_queue_with_counts(app, client, make_user):
    make_user(kind="startup", verified=False)
    make_user(kind="startup", verified=False)
    staff = make_user(kind="agency", role="staff")
    response = login(client, staff)
    assert response.headers["Location"].endswith("/ko/staff/")
    page = client.get("/en/staff/").get_data(as_text=True)
    for label in ("Organisation verification", "Deals asking for help", "Unmatched listings",
                  "Failed jobs and undelivered e-mail", "Deal log integrity", "Dashboards",
                  "Deal pipeline", "Monthly programme reports"):
        assert label in page, label
    assert 'data-queue="staff.verifications"' in page
    verification = page.split('data-queue="staff.verifications"', 1)[1].split("</a>", 1)[0]
    assert ">2</span>" in verification
    assert "Audit trail" not in page  # admins only
    member = make_user(kind="firm")
    client.post("/ko/logout")
    assert login(client, member).headers["Location"].endswith("/ko/desk/")


def test_admin_console_lists_the_admin_pages(client, make_user):
    admin = make_user(kind=None, role="admin")
    login(client, admin)
    page = client.get("/en/staff/").get_data(as_text=True)
    for label in ("Confidential access log", "Audit trail", "Users and roles"):
        assert label in page


def test_pipeline_is_one_query_ordered_by_age_and_scoped(app, client, make_user, programme):
    from marketplace.staff.pipeline import pipeline_rows

    with app.test_request_context():
        admin = User(email="a@example.com", display_name="A", role="admin", password_hash="x")
        db.session.add(admin)
        db.session.flush()
        rows = pipeline_rows(admin)
        # Open deals: D2 signed on 23 Jan, D3 paid on 20 Feb, D6 inquiry since 2 Mar.
        assert [r["id"] for r in rows] == [programme["D2"], programme["D3"], programme["D6"]]
        assert [r["state"] for r in rows] == ["signed", "paid", "inquiry"]
        staff = db.session.scalar(db.select(User).where(User.email == "staff@example.com"))
        assert pipeline_rows(staff) == []  # staff see only the deals they are assigned to
        deal = db.session.get(Deal, programme["D6"])
        deal.help_requested_at = deal.created_at + timedelta(days=1)
        db.session.flush()
        assert [r["id"] for r in pipeline_rows(staff)] == [programme["D6"]]
        db.session.rollback()


def test_pipeline_page_shows_the_board(client, make_user, programme):
    admin = make_user(kind=None, role="admin")
    login(client, admin)
    page = client.get("/en/staff/pipeline").get_data(as_text=True)
    assert 'data-state="signed"' in page and f'data-deal="{programme["D2"]}"' in page
    assert "Days in this state" in page


@pytest.mark.parametrize("query,group,expected", [
    ("firm_kr", "organisations", "firm_kr"),
    ("L10 제목", "listings", "L10 제목"),
])
def test_search_groups_results(client, make_user, programme, query, group, expected):
    staff = make_user(kind="agency", role="staff")
    login(client, staff)
    page = client.get("/en/staff/search", query_string={"q": query}).get_data(as_text=True)
    section = page.split(f'data-group="{group}"', 1)[1].split("</section>", 1)[0]
    assert expected in section


def test_search_finds_only_the_deals_the_viewer_sees(client, make_user, programme):
    staff = make_user(kind="agency", role="staff")
    login(client, staff)
    page = client.get("/en/staff/search", query_string={"q": f"#{programme['D2']}"})
    deals = page.get_data(as_text=True).split('data-group="deals"', 1)[1]
    assert f"/deals/{programme['D2']}" not in deals
    client.post("/ko/logout")
    admin = make_user(kind=None, role="admin")
    login(client, admin)
    page = client.get("/en/staff/search", query_string={"q": f"#{programme['D2']}"})
    deals = page.get_data(as_text=True).split('data-group="deals"', 1)[1]
    assert f"/deals/{programme['D2']}" in deals


def test_pipeline_is_a_single_statement(app, programme):
    import sqlalchemy as sa

    from marketplace.staff.pipeline import pipeline_rows

    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.test_request_context():
        admin = User(email="b@example.com", display_name="B", role="admin", password_hash="x")
        db.session.add(admin)
        db.session.flush()
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert len(pipeline_rows(admin)) == 3
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        db.session.rollback()
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("SELECT")
