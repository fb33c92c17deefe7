"""Staff see a deal's content (messages, terms, events, payments) only once assigned to it;
before that, a deal waiting for help, or any deal for an admin, shows its header only."""

import pytest

from marketplace.api.tokens import create_token
from marketplace.extensions import db
from tests.conftest import login

from .conftest import LICENSE, load, negotiating_deal

MESSAGE = "안녕하세요, 라이선스에 관심이 있습니다."  # the opening message of every test deal
CONTENT_API = ("", "/events", "/terms", "/messages", "/payments")


def _deal_waiting_for_help(app, p) -> int:
    with app.test_request_context():
        deal = negotiating_deal(p, fresh=True)
        deal.propose_terms(load(p["buyer"]), None, LICENSE)
        deal.request_help(load(p["buyer"]), "pricing?")
        db.session.commit()
        return deal.id


@pytest.fixture
def as_user(app, parties):
    """`as_user(key)` -> (a signed-in test client, API headers) for one of the parties."""
    def make(key):
        client = app.test_client()
        login(client, parties[key], lang="en")
        with app.test_request_context():
            secret = create_token(load(parties[key]), "t")[1]
            db.session.commit()
        return client, {"Authorization": f"Bearer {secret}"}
    return make


def _sees_content(client, headers, deal_id) -> bool:
    page = client.get(f"/en/deals/{deal_id}").get_data(as_text=True)
    api = {suffix: client.get(f"/api/v1/deals/{deal_id}{suffix}", headers=headers).status_code
           for suffix in CONTENT_API}
    shown = MESSAGE in page and "EV batteries" in page
    assert shown == (set(api.values()) == {200}), (shown, api)
    if not shown:
        assert set(api.values()) == {404}, api
    return shown


def test_unassigned_staff_see_the_header_and_claim_then_the_content(app, parties, as_user):
    deal_id = _deal_waiting_for_help(app, parties)
    client, headers = as_user("other_staff")
    page = client.get(f"/en/deals/{deal_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="deal-content-hidden"' in html
    for key in ("buyer", "seller"):  # the parties, the state and the help request
        assert f"/en/organisations/{parties[key].organisation_id}" in html
    assert "Help requested, waiting for staff" in html
    assert f"/en/deals/{deal_id}/claim" in html
    for path in ("nda", "terms/new", "terms/compare"):
        assert client.get(f"/en/deals/{deal_id}/{path}").status_code == 404, path
    assert client.post(f"/en/deals/{deal_id}/messages", data={"body": "x"}).status_code == 404
    assert not _sees_content(client, headers, deal_id)

    assert client.post(f"/en/deals/{deal_id}/claim").status_code == 303
    assert _sees_content(client, headers, deal_id)
    assert 'id="deal-content-hidden"' not in client.get(f"/en/deals/{deal_id}").get_data(
        as_text=True)


def test_an_admin_sees_content_only_once_assigned(app, parties, as_user):
    deal_id = _deal_waiting_for_help(app, parties)
    client, headers = as_user("admin")
    assert f"/en/deals/{deal_id}" in client.get("/en/deals/").get_data(as_text=True)
    assert not _sees_content(client, headers, deal_id)
    assert client.get(f"/api/v1/deals/{deal_id}/terms", headers=headers).status_code == 404
    listed = client.get("/api/v1/deals", headers=headers).get_json()
    assert deal_id not in [d["id"] for d in listed["items"]]

    response = client.post(f"/en/deals/{deal_id}/assign",
                           data={"staff_id": str(parties["admin"].id)})
    assert response.status_code == 303
    assert _sees_content(client, headers, deal_id)


def test_parties_and_assigned_staff_are_unaffected(app, parties, as_user):
    deal_id = _deal_waiting_for_help(app, parties)
    for key in ("buyer", "seller"):
        assert _sees_content(*as_user(key), deal_id), key
    client, headers = as_user("staff")
    assert not _sees_content(client, headers, deal_id)
    with app.test_request_context():
        from marketplace.deals.models import Deal

        db.session.get(Deal, deal_id).assign_staff(load(parties["admin"]), load(parties["staff"]))
        db.session.commit()
    assert _sees_content(client, headers, deal_id)
    assert not _sees_content(*as_user("other_staff"), deal_id)
    assert as_user("other_staff")[0].get(f"/en/deals/{deal_id}").status_code == 404
