"""One-to-one introductions: an investor asks, the startup answers, staff can arrange, and an
accepted introduction opens an investment deal with the startup as seller."""

import threading

import pytest
import sqlalchemy as sa

from marketplace.deals.models import Deal
from marketplace.extensions import db
from marketplace.introductions.models import Introduction
from marketplace.mail.models import OutboxMessage
from tests.conftest import login
from tests.listings.helpers import make_listing


def _mails(app, address):
    with app.app_context():
        return [m.subject for m in db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.recipient == address))]


def _intro(app):
    with app.app_context():
        intro = db.session.scalar(sa.select(Introduction).order_by(Introduction.id.desc()))
        db.session.expunge(intro)
        return intro


@pytest.fixture
def pair(app, make_user):
    investor = make_user(kind="investor", lang="en", name_en="Harbor Ventures",
                         name_ko="하버벤처스")
    startup = make_user(kind="startup", lang="ko", name_ko="하늘드론", name_en="Haneul Drone")
    with app.test_request_context():
        offering = make_listing(startup)
    return investor, startup, offering


def test_ask_accept_and_open_an_investment_deal(app, client, pair):
    investor, startup, offering = pair
    login(client, investor, lang="en")
    url = f"/en/introductions/new?startup={startup.organisation_id}"
    empty = client.post(url, data={"note": " "})
    assert empty.status_code == 400
    sent = client.post(url, data={"note": "We invest in drones; could we meet?",
                                  "proposed_times": "12 Dec 10:00 KST"})
    assert sent.status_code == 303
    again = client.post(url, data={"note": "Once more"})
    assert again.status_code == 409
    assert "already asked this startup" in again.get_data(as_text=True)
    assert _mails(app, startup.email) == [
        "[테크트레이드온] 하버벤처스에서 1:1 미팅을 요청했습니다."]
    intro = _intro(app)
    client.post("/en/logout")

    login(client, startup)
    page = client.get(f"/ko/introductions/{intro.id}").get_data(as_text=True)
    assert "We invest in drones; could we meet?" in page and "미팅 수락" in page
    accepted = client.post(f"/ko/introductions/{intro.id}/accept",
                           data={"answer": "좋습니다.", "meeting": "12월 12일 10시, 온라인"})
    assert accepted.status_code == 303
    assert client.post(f"/ko/introductions/{intro.id}/decline").status_code == 303
    assert _intro(app).state == "accepted"  # the second answer was refused
    assert _mails(app, investor.email)[-1] == (
        "[Tech Trade-On] Haneul Drone accepted your request for an introduction.")
    client.post("/ko/logout")

    login(client, investor, lang="en")
    opened = client.post(f"/en/introductions/{intro.id}/deal",
                         data={"offering_id": offering, "message": "Let us talk terms."})
    assert opened.status_code == 303 and "/deals/" in opened.location
    with app.app_context():
        deal = db.session.scalar(sa.select(Deal))
        assert (deal.deal_type, deal.seller_org_id, deal.buyer_org_id) == (
            "investment", startup.organisation_id, investor.organisation_id)
        assert db.session.get(Introduction, intro.id).deal_id == deal.id


def test_staff_arrange_and_outsiders_see_nothing(app, client, make_user, pair):
    investor, startup, _ = pair
    login(client, investor, lang="en")
    client.post(f"/en/introductions/new?startup={startup.organisation_id}",
                data={"note": "Hello"})
    intro = _intro(app)
    client.post("/en/logout")
    outsider = make_user(kind="firm")
    login(client, outsider)
    assert client.get(f"/ko/introductions/{intro.id}").status_code == 404
    assert client.post(f"/ko/introductions/{intro.id}/accept").status_code == 404
    assert client.post(f"/ko/introductions/new?startup={startup.organisation_id}",
                       data={"note": "x"}).status_code == 403
    client.post("/ko/logout")
    staff = make_user(kind="agency", role="staff")
    login(client, staff)
    assert "주선할 1:1 미팅 요청" in client.get("/ko/staff/").get_data(as_text=True)
    assert client.post(f"/ko/introductions/{intro.id}/arrange", data={
        "meeting": "12월 14일 15시, 서울창업허브 3층"}).status_code == 303
    assert _intro(app).state == "arranged"
    assert any("담당자가 1:1 미팅을 주선했습니다" in s for s in _mails(app, startup.email))
    assert any("City staff arranged" in s for s in _mails(app, investor.email))


def test_two_asks_at_once_make_one_introduction(app, pair):
    investor, startup, _ = pair
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("concurrent requests are served by PostgreSQL")
    barrier = threading.Barrier(4)
    codes = []

    def ask():
        client = app.test_client()
        login(client, investor, lang="en")
        barrier.wait(timeout=20)
        codes.append(client.post(f"/en/introductions/new?startup={startup.organisation_id}",
                                 data={"note": "Hello"}).status_code)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [303, 409, 409, 409]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Introduction.id))) == 1
