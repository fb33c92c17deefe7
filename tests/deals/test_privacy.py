"""Every deal URL is 404 for anyone but the two parties and the assigned staff member; an admin
who is not assigned sees the deal's header (to assign staff) and nothing of its content."""

import pytest
from flask import url_for

from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD, login

from .conftest import LICENSE, fill_nda_details, load, negotiating_deal, open_deal

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
INSIDERS = ("buyer", "seller", "staff")
OUTSIDERS = ("outsider", "other_staff")
HEADER_ONLY = {"deals.detail", "deals.assign"}  # what an admin who is not assigned reaches


@pytest.fixture
def attachment_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "DEAL_ATTACHMENT_DIR", str(tmp_path))
    return tmp_path


def _deal(app, p, with_nda=False):
    """A deal with two terms versions, a message with a file, and staff assigned; optionally
    past an NDA that both sides confirmed (so its PDF exists)."""
    from marketplace.agreements import nda
    from marketplace.deals import messages

    with app.test_request_context():
        if with_nda:
            deal = open_deal(p, require_nda=True, fresh=True)
            deal.accept_inquiry(load(p["seller"]))
            fill_nda_details(p)
            sha256 = nda.prepare(deal)
            for who in ("buyer", "seller"):
                nda.confirm(deal, load(p[who]), sha256=sha256, password=TEST_PASSWORD)
        else:
            deal = negotiating_deal(p, fresh=True)
        deal.propose_terms(load(p["buyer"]), None, LICENSE)
        deal.propose_terms(load(p["seller"]), 1, {**LICENSE, "term_months": 12})
        message = messages.post_message(deal, load(p["buyer"]), "hello", [("spec.pdf", PDF)])
        deal.assign_staff(load(p["admin"]), load(p["staff"]))
        db.session.commit()
        return deal.id, message.attachments[0].id


# The NDA step's pages are served by the contracts package, under the deal's address.
NDA_ENDPOINTS = ("agreements.nda", "agreements.nda_pdf", "agreements.confirm_nda")


def _deal_routes(app):
    rules = [r for r in app.url_map.iter_rules()
             if (r.endpoint.startswith("deals.") or r.endpoint in NDA_ENDPOINTS)
             and "deal_id" in r.arguments]
    assert len(rules) >= 15
    return rules


def _url(app, rule, deal_id, attachment_id):
    values = {"deal_id": deal_id, "version": 1, "attachment_id": attachment_id}
    with app.test_request_context():
        return url_for(rule.endpoint, lang_code="en",
                       **{k: v for k, v in values.items() if k in rule.arguments})


@pytest.fixture
def clients(app, parties):
    result = {}
    for key in INSIDERS + OUTSIDERS + ("admin",):
        result[key] = app.test_client()
        login(result[key], parties[key], lang="en")
    return result


def test_outsiders_get_404_on_every_deal_route(app, parties, clients, attachment_dir):
    deal_id, attachment_id = _deal(app, parties)
    checked = set()
    for rule in _deal_routes(app):
        url = _url(app, rule, deal_id, attachment_id)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            for who in OUTSIDERS:
                response = clients[who].open(url, method=method, data={})
                response.close()
                assert response.status_code == 404, (who, method, url, response.status_code)
            checked.add(rule.endpoint)
    assert checked == {r.endpoint for r in _deal_routes(app)}
    # nothing changed: the deal still has its events and state
    with app.app_context():
        from marketplace.deals.models import Deal

        deal = db.session.get(Deal, deal_id)
        assert deal.state.value == "negotiating" and deal.event_seq == 6


def test_insiders_reach_every_deal_route(app, parties, clients, attachment_dir):
    """GET pages answer 200 to each insider. Each POST route gets a fresh deal that all four
    insiders post to in turn: whatever the first one changed, none of them gets a 404."""
    shared = _deal(app, parties, with_nda=True)
    for rule in _deal_routes(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            deal_id, attachment_id = shared if method == "GET" else _deal(app, parties)
            url = _url(app, rule, deal_id, attachment_id)
            for who in INSIDERS:
                response = clients[who].open(url, method=method, data={})
                response.close()
                if method == "GET":
                    assert response.status_code == 200, (who, url, response.status_code)
                else:
                    assert response.status_code != 404, (who, method, url)


def test_missing_deal_looks_like_a_forbidden_one(app, parties, clients, attachment_dir):
    deal_id, _ = _deal(app, parties)
    assert clients["buyer"].get(f"/en/deals/{deal_id + 1000}").status_code == 404
    assert clients["outsider"].get(f"/en/deals/{deal_id}").status_code == 404


def test_lists_show_only_visible_deals(app, parties, clients, attachment_dir):
    deal_id, _ = _deal(app, parties)
    link = f"/en/deals/{deal_id}"
    assert link in clients["buyer"].get("/en/deals/").get_data(as_text=True)
    assert link in clients["staff"].get("/en/deals/").get_data(as_text=True)
    assert link in clients["admin"].get("/en/deals/").get_data(as_text=True)
    for who in OUTSIDERS:
        assert link not in clients[who].get("/en/deals/").get_data(as_text=True)
        assert link not in clients[who].get("/en/notifications/").get_data(as_text=True)
    assert link not in clients["other_staff"].get(
        "/en/deals/staff/integrity").get_data(as_text=True)
    assert clients["buyer"].get("/en/deals/staff/queue").status_code == 404
    assert clients["buyer"].get("/en/deals/staff/integrity").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get(link).status_code == 302  # to the sign-in page, like any deal id


def test_an_admin_not_assigned_sees_the_header_only(app, parties, clients, attachment_dir):
    deal_id, attachment_id = _deal(app, parties)
    for rule in _deal_routes(app):
        if rule.endpoint in HEADER_ONLY or "GET" not in rule.methods:
            continue
        url = _url(app, rule, deal_id, attachment_id)
        assert clients["admin"].get(url).status_code == 404, url
    page = clients["admin"].get(f"/en/deals/{deal_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="deal-content-hidden"' in html
    assert "EV batteries" not in html and "hello" not in html and "spec.pdf" not in html
    assert f"/en/deals/{deal_id}/assign" in html
    assert clients["admin"].post(f"/en/deals/{deal_id}/messages",
                                 data={"body": "hi"}).status_code == 404
