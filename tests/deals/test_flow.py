"""The whole way from inquiry to agreed terms through the domain, and the pages for it."""

import sqlalchemy as sa

from marketplace.deals import integrity
from marketplace.deals.events import DealEvent
from marketplace.deals.states import DealState
from marketplace.extensions import db
from marketplace.mail.models import OutboxMessage
from marketplace.notifications.models import Notification

from .conftest import LICENSE, load, open_deal


def test_inquiry_to_agreed(ctx, parties):
    p = parties
    deal = open_deal(p)
    assert deal.state == DealState.inquiry
    buyer, seller = load(p["buyer"]), load(p["seller"])
    deal.accept_inquiry(seller)
    assert deal.state == DealState.negotiating
    v1 = deal.propose_terms(buyer, None, LICENSE)
    assert v1.version == 1 and deal.buyer_accepted_version == 1
    v2 = deal.propose_terms(seller, 1, {**LICENSE, "royalty_percent": 5})
    assert v2.version == 2 and deal.seller_accepted_version == 2
    deal.accept_terms(buyer, 2)
    assert deal.state == DealState.agreed
    assert deal.buyer_accepted_version == deal.seller_accepted_version == 2
    db.session.commit()
    kinds = [e.kind for e in deal.events]
    assert kinds == ["open", "accept_inquiry", "propose_terms", "propose_terms", "accept_terms"]
    assert integrity.verify(deal.id).intact
    # the other side heard of each step, in-app and by e-mail after commit
    notices = db.session.scalars(sa.select(Notification)).all()
    assert {n.user_id for n in notices} == {p["buyer"].id, p["seller"].id}
    assert {(n.kind, n.subject_type, n.subject_id) for n in notices} == {
        ("deal_event", "deal", deal.id)}
    from marketplace import jobs

    jobs.flush()
    mails = db.session.scalars(sa.select(OutboxMessage)).all()
    assert any(m.recipient == p["seller"].email and "Deal #" in m.subject for m in mails)
    assert any(m.recipient == p["buyer"].email and "거래 #" in m.subject for m in mails)


def test_pages_walk(app, client, parties, login_as):
    from tests.conftest import login

    p = parties
    login_as(p["buyer"])
    page = client.get(f"/ko/deals/new?offering={p['offering_id']}")
    assert page.status_code == 200
    response = client.post(f"/ko/deals/new?offering={p['offering_id']}", data={
        "deal_type": "license", "need_id": "", "message": "관심 있습니다"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    deal_url = response.headers["Location"]
    deal_id = int(deal_url.rstrip("/").split("/")[-1])
    seller = app.test_client()
    login(seller, p["seller"], lang="en")
    detail = seller.get(f"/en/deals/{deal_id}")
    assert detail.status_code == 200
    assert "Accept the inquiry" in detail.get_data(as_text=True)
    assert seller.post(f"/en/deals/{deal_id}/accept", data={}).status_code == 303
    form = client.get(f"/ko/deals/{deal_id}/terms/new")
    assert form.status_code == 200
    response = client.post(f"/ko/deals/{deal_id}/terms/new", data={
        "based_on_version": "0", "currency": "KRW", "upfront_fee": "50,000,000",
        "royalty_percent": "3.5", "field_of_use_ko": "EV", "territory_ko": "대한민국",
        "exclusivity": "exclusive", "term_months": "36", "improvements_owner": ""})
    assert response.status_code == 303, response.get_data(as_text=True)[-3000:]
    response = seller.post(f"/en/deals/{deal_id}/terms/new", data={
        "based_on_version": "1", "currency": "KRW", "upfront_fee": "70,000,000",
        "royalty_percent": "3.5", "field_of_use_ko": "EV", "territory_ko": "대한민국",
        "exclusivity": "exclusive", "term_months": "36"})
    assert response.status_code == 303
    compare = client.get(f"/ko/deals/{deal_id}/terms/compare?a=1&b=2")
    html = compare.get_data(as_text=True)
    assert compare.status_code == 200
    assert 'data-field="upfront_fee"' in html and html.count('data-changed="true"') == 1
    assert "₩70,000,000" in html
    assert client.post(f"/ko/deals/{deal_id}/terms/2/accept").status_code == 303
    with app.app_context():
        kinds = db.session.scalars(sa.select(DealEvent.kind).where(
            DealEvent.deal_id == deal_id).order_by(DealEvent.seq)).all()
    assert kinds[-1] == "accept_terms"


def test_api_shapes(ctx, parties):
    import json

    from marketplace.deals import services

    p = parties
    deal = open_deal(p)
    deal.accept_inquiry(load(p["seller"]))
    terms = deal.propose_terms(load(p["buyer"]), None, LICENSE)
    shape = services.deal_dict(deal, load(p["seller"]))
    assert {k: shape[k] for k in ("id", "state", "deal_type", "current_version")} == {
        "id": deal.id, "state": "negotiating", "deal_type": "license", "current_version": 1}
    assert shape["buyer"]["id"] == p["buyer"].organisation_id
    assert "accept_terms" in shape["allowed_actions"]
    assert services.terms_dict(terms)["terms"] == LICENSE
    events_shape = [services.event_dict(e) for e in deal.events]
    assert [e["kind"] for e in events_shape] == ["open", "accept_inquiry", "propose_terms"]
    json.dumps([shape, services.terms_dict(terms), events_shape])
