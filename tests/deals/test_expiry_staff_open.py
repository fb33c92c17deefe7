"""Opening deals (and declining them with a reason), expiry of idle deals with a reminder, and
staff help from the queue."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace import jobs
from marketplace.clock import utcnow
from marketplace.deals import messages, services
from marketplace.deals.events import DealEvent
from marketplace.deals.models import Deal
from marketplace.deals.states import DealState, Side
from marketplace.errors import Conflict, DomainError, NotFound, PermissionDenied
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.mail.models import OutboxMessage
from tests.conftest import login

from .conftest import load, make_listing, open_deal


def _idle(deal_id, days):
    with db.engine.begin() as conn:
        conn.execute(sa.update(Deal).where(Deal.id == deal_id).values(
            last_activity_at=utcnow() - timedelta(days=days)))
    db.session.expire_all()


# ---- opening ------------------------------------------------------------------------------

def test_open_rules(ctx, parties, make_user):
    p = parties
    unverified, startup = make_user(kind="firm", verified=False), make_user(kind="startup")
    offering = db.session.get(Listing, p["offering_id"])
    need = db.session.get(Listing, p["need_id"])
    seller = load(p["seller"])
    with pytest.raises(PermissionDenied):  # unverified organisation
        services.open_deal(load(unverified), offering,
                           deal_type="license", message="hi")
    with pytest.raises(PermissionDenied):  # a startup cannot buy
        services.open_deal(load(startup), offering, deal_type="license",
                           message="hi")
    with pytest.raises(DomainError) as exc:
        services.open_deal(load(p["buyer"]), offering, deal_type="acquisition", message="")
    assert "message" in exc.value.fields
    narrow = make_listing(p["seller"].organisation_id, deal_types=["poc"])
    with pytest.raises(DomainError) as exc:
        services.open_deal(load(p["buyer"]), narrow, deal_type="supply", message="hi")
    assert "deal_type" in exc.value.fields
    with pytest.raises(PermissionDenied):  # not the buyer's own need
        services.open_deal(load(p["outsider"]), offering, need, deal_type="poc", message="hi")
    first = services.open_deal(load(p["buyer"]), offering, deal_type="poc", message="hi")
    with pytest.raises(Conflict):
        services.open_deal(load(p["buyer"]), offering, deal_type="poc", message="again")
    # the startup proposes its offering for the firm's need: the firm is the buyer
    proposal = services.open_deal(seller, offering, need, deal_type="license",
                                  message="We can solve this")
    assert (proposal.buyer_org_id, proposal.initiator_side) == (p["buyer"].organisation_id,
                                                                Side.seller)
    assert "accept_inquiry" in proposal.allowed_actions(load(p["buyer"]))
    assert "accept_inquiry" not in proposal.allowed_actions(seller)
    assert first.messages[0].body == "hi"
    draft = make_listing(p["seller"].organisation_id)
    draft.status = "draft"
    with pytest.raises(NotFound):
        services.open_deal(load(p["buyer"]), draft, deal_type="poc", message="hi")


def test_decline_with_a_translated_reason(app, client, parties, login_as):
    p = parties
    with app.test_request_context():
        deal = open_deal(p)
        db.session.commit()
        deal_id = deal.id
    login_as(p["seller"], lang="ko")
    response = client.post(f"/ko/deals/{deal_id}/decline", data={"reason": "other"})
    assert response.status_code == 400  # "other" needs a few words
    assert "이유를 간단히 적어 주세요." in response.get_data(as_text=True)
    response = client.post(f"/ko/deals/{deal_id}/decline", data={"reason": "timing",
                                                                  "note": "내년에 다시"})
    assert response.status_code == 303
    buyer = app.test_client()
    login(buyer, p["buyer"], lang="en")
    page = buyer.get(f"/en/deals/{deal_id}").get_data(as_text=True)
    assert "The timing does not work for us" in page and "내년에 다시" in page
    assert 'data-state="declined"' in page
    with app.app_context():
        event = db.session.scalars(sa.select(DealEvent).order_by(DealEvent.id.desc())).first()
        assert (event.kind, event.payload["reason"]) == ("decline", "timing")


def test_seller_proposes_from_the_page(app, client, parties, login_as):
    p = parties
    login_as(p["seller"], lang="en")
    url = f"/en/deals/new?offering={p['offering_id']}&need={p['need_id']}"
    page = client.get(url)
    assert page.status_code == 200 and "Propose your offering" in page.get_data(as_text=True)
    response = client.post(url, data={"deal_type": "poc", "need_id": str(p["need_id"]),
                                      "message": "Pilot?", "require_nda": "y"})
    assert response.status_code == 303
    with app.app_context():
        deal = db.session.scalar(sa.select(Deal))
        assert deal.buyer_org_id == p["buyer"].organisation_id and deal.nda_required


# ---- expiry -------------------------------------------------------------------------------

def test_idle_deals_are_reminded_then_expired(app, parties, monkeypatch):
    monkeypatch.setitem(app.config, "DEAL_EXPIRY_DAYS", 10)
    monkeypatch.setitem(app.config, "DEAL_EXPIRY_REMINDER_DAYS", 3)
    p = parties
    with app.test_request_context():
        idle, busy = open_deal(p), open_deal(p, deal_type="poc")
        db.session.commit()
        idle_id, busy_id = idle.id, busy.id
        _idle(idle_id, 8)
        assert services.expire_stale_deals() == {"expired": 0, "reminded": 1}
        assert services.expire_stale_deals() == {"expired": 0, "reminded": 0}  # once only
        db.session.commit()
        jobs.flush()
        reminders = db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.subject.contains("expires soon"))).all()
        assert {m.recipient for m in reminders} == {p["seller"].email}
        reminders_ko = db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.recipient == p["buyer"].email)).all()
        assert any("만료" in m.subject for m in reminders_ko)
        deal = db.session.get(Deal, idle_id)
        assert deal.state == DealState.inquiry and deal.last_activity_at < utcnow() - \
            timedelta(days=7)  # a reminder is not activity
        _idle(idle_id, 11)
        assert services.expire_stale_deals() == {"expired": 1, "reminded": 0}
        deal = db.session.get(Deal, idle_id)
        assert deal.state == DealState.expired and deal.events[-1].actor_user_id is None
        assert db.session.get(Deal, busy_id).state == DealState.inquiry
    from marketplace.jobs import PERIODIC

    assert ("marketplace.deals.services.expire_stale_deals", 3600) in PERIODIC


def test_activity_postpones_expiry(app, parties, monkeypatch, runner):
    monkeypatch.setitem(app.config, "DEAL_EXPIRY_DAYS", 5)
    p = parties
    with app.test_request_context():
        deal = open_deal(p)
        db.session.commit()
        deal_id = deal.id
        _idle(deal_id, 6)
        messages.post_message(db.session.get(Deal, deal_id), load(p["seller"]), "still here")
        db.session.commit()
    result = runner.invoke(args=["deals", "expire"])
    assert "expired 0" in result.output
    with app.app_context():
        assert db.session.get(Deal, deal_id).state == DealState.inquiry


# ---- staff --------------------------------------------------------------------------------

def test_staff_help_queue(app, parties):
    p = parties
    staff = app.test_client()
    login(staff, p["staff"], lang="en")
    with app.test_request_context():
        deal = open_deal(p)
        db.session.commit()
        deal_id = deal.id
    assert staff.get(f"/en/deals/{deal_id}").status_code == 404
    assert staff.post(f"/en/deals/{deal_id}/claim").status_code == 404  # not in the queue
    buyer = app.test_client()
    login(buyer, p["buyer"], lang="en")
    assert buyer.post(f"/en/deals/{deal_id}/help", data={"note": "pricing?"}).status_code == 303
    with app.app_context():  # every staff member (and the admin) hears of it, in their language
        mail = {m.recipient: m for m in db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.subject.contains(f"#{deal_id}"),
            OutboxMessage.body.contains("/deals/staff/queue")))}
        assert set(mail) == {p[k].email for k in ("staff", "other_staff", "admin")}
        assert "pricing?" in mail[p["staff"].email].body
        assert "담당자 지원" in mail[p["staff"].email].subject  # the staff member reads Korean
    queue = staff.get("/en/deals/staff/queue").get_data(as_text=True)
    assert "pricing?" in queue and f"/en/deals/{deal_id}/claim" in queue
    header = staff.get(f"/en/deals/{deal_id}")  # still not theirs: the header, no content
    assert header.status_code == 200
    assert f"/en/deals/{deal_id}/claim" in header.get_data(as_text=True)
    assert "라이선스에 관심이" not in header.get_data(as_text=True)
    assert staff.post(f"/en/deals/{deal_id}/claim").status_code == 303
    assert "라이선스에 관심이" in staff.get(f"/en/deals/{deal_id}").get_data(as_text=True)
    other = app.test_client()
    login(other, p["other_staff"], lang="en")
    assert other.post(f"/en/deals/{deal_id}/claim").status_code == 404  # taken
    assert "pricing?" not in other.get("/en/deals/staff/queue").get_data(as_text=True)
    response = staff.post(f"/en/deals/{deal_id}/messages", data={"body": "Market rate is 3%"})
    assert response.status_code == 303
    page = buyer.get(f"/en/deals/{deal_id}").get_data(as_text=True)
    assert "Market rate is 3%" in page
    with app.app_context():
        kinds = db.session.scalars(sa.select(DealEvent.kind).where(
            DealEvent.deal_id == deal_id).order_by(DealEvent.seq)).all()
        assert kinds == ["open", "request_help", "claim", "staff_comment"]
        with app.test_request_context():
            deal = db.session.get(Deal, deal_id)
            with pytest.raises(PermissionDenied):  # staff help, they do not negotiate
                deal.accept_inquiry(load(p["staff"]))
    admin = app.test_client()
    login(admin, p["admin"], lang="en")
    assert admin.get(f"/en/deals/{deal_id}").status_code == 200
    assert admin.post(f"/en/deals/{deal_id}/assign",
                      data={"staff_id": str(p["other_staff"].id)}).status_code == 303
    assert other.get(f"/en/deals/{deal_id}").status_code == 200
    assert staff.get(f"/en/deals/{deal_id}").status_code == 404


def test_offering_page_has_a_deal_button(app, client, parties, login_as):
    p = parties
    login_as(p["buyer"], lang="en")
    html = client.get(f"/en/offerings/{p['offering_id']}").get_data(as_text=True)
    assert f'href="/en/deals/new?offering={p["offering_id"]}"' in html
    assert "Open a deal" in html
    seller = app.test_client()
    login(seller, p["seller"], lang="en")
    assert "open-deal" not in seller.get(f"/en/offerings/{p['offering_id']}").get_data(
        as_text=True)


def test_a_help_request_mailed_twice_reaches_each_staff_member_once(app, parties):
    """The job may run again (a retry, a job handed over twice): no second e-mail."""
    from marketplace.deals.notifications import email_help_request

    p = parties
    with app.test_request_context():
        deal = open_deal(p)
        deal.request_help(load(p["buyer"]), "pricing?")
        db.session.commit()
        event_id = db.session.scalar(sa.select(DealEvent.id).where(
            DealEvent.deal_id == deal.id, DealEvent.kind == "request_help"))
        jobs.flush()
        first = sorted(db.session.scalars(sa.select(OutboxMessage.recipient).where(
            OutboxMessage.deal_id == deal.id, OutboxMessage.body.contains("/deals/staff/queue"))))
        assert first == sorted(p[k].email for k in ("staff", "other_staff", "admin"))
        assert email_help_request(event_id) == 0
        db.session.commit()
        again = db.session.scalars(sa.select(OutboxMessage.recipient).where(
            OutboxMessage.deal_id == deal.id, OutboxMessage.body.contains("/deals/staff/queue")))
        assert sorted(again) == first
