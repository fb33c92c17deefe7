"""Deal events reach the other side (and the deal's staff) through the notification centre:
never the one who acted, in the reader's language, linking to the deal, e-mailed with the
deal named on the outbox message; reading the deal reads its notices."""

import sqlalchemy as sa

from marketplace.deals.models import Deal
from marketplace.extensions import db
from marketplace.mail.models import OutboxMessage
from marketplace.notifications.models import Notification
from tests.conftest import login

from .conftest import load, open_deal


def _notices(user_id):
    return db.session.scalars(sa.select(Notification).where(
        Notification.user_id == user_id).order_by(Notification.id)).all()


def _mails(address):
    return db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == address).order_by(OutboxMessage.id)).all()


def test_an_event_tells_the_other_side_and_the_staff_not_the_actor(app, parties):
    p = parties
    with app.test_request_context():
        deal = open_deal(p)  # by the buyer
        deal.assign_staff(load(p["admin"]), load(p["staff"]))  # by an admin
        db.session.commit()
        deal_id = deal.id
    seller = app.test_client()
    login(seller, p["seller"], lang="en")
    assert seller.post(f"/en/deals/{deal_id}/accept").status_code == 303
    with app.app_context():
        events = {e.id: e.kind for e in db.session.get(Deal, deal_id).events}
        told = {}
        for notice in db.session.scalars(sa.select(Notification)):
            assert (notice.kind, notice.subject_type, notice.subject_id) == (
                "deal_event", "deal", deal_id)
            told.setdefault(events[notice.data["event_id"]], set()).add(notice.user_id)
    assert told == {
        "open": {p["seller"].id},
        "assign_staff": {p["buyer"].id, p["seller"].id, p["staff"].id},
        "accept_inquiry": {p["buyer"].id, p["staff"].id},
    }


def test_the_email_reads_in_the_readers_language_and_names_the_deal(app, parties):
    p = parties
    with app.test_request_context():
        deal = open_deal(p)
        db.session.commit()
        deal_id, title_en, title_ko = deal.id, deal.offering.title_en, deal.offering.title_ko
    seller = app.test_client()
    login(seller, p["seller"], lang="en")
    seller.post(f"/en/deals/{deal_id}/accept")
    with app.app_context():
        english = _mails(p["seller"].email)[-1]
        korean = _mails(p["buyer"].email)[-1]
    assert english.subject.startswith(f"[Tech Trade-On] Deal #{deal_id} ({title_en}): "
                                      f"Opened the deal — {p['buyer'].display_name} (")
    assert f"/en/deals/{deal_id}" in english.body and "The deal is now: " in english.body
    assert english.deal_id == deal_id
    assert korean.subject.startswith(
        f"[테크트레이드온] 거래 #{deal_id}({title_ko}): 문의를 수락함 — ")
    assert p["seller"].display_name in korean.subject
    assert f"/ko/deals/{deal_id}" in korean.body and "현재 거래 상태: " in korean.body
    assert korean.deal_id == deal_id


def test_the_centre_lists_the_sentence_and_reading_the_deal_reads_its_notices(app, parties):
    p = parties
    with app.test_request_context():
        first, second = open_deal(p), open_deal(p, fresh=True)
        db.session.commit()
        first_id, second_id = first.id, second.id
    seller = app.test_client()
    login(seller, p["seller"], lang="en")
    page = seller.get("/en/notifications/").get_data(as_text=True)
    assert f"Deal #{first_id} (" in page and f"Deal #{second_id} (" in page
    assert "data-unread-badge>2<" in seller.get("/en/deals/").get_data(as_text=True)
    seller.get(f"/en/deals/{first_id}")
    with app.app_context():
        unread = [n.subject_id for n in _notices(p["seller"].id) if n.read_at is None]
    assert unread == [second_id]
    assert "data-unread-badge>1<" in seller.get("/en/deals/").get_data(as_text=True)


def test_a_mail_job_waiting_from_before_the_centre_still_sends_the_notices(app, parties):
    """A job row written before the move (`email_event` with the event's id) e-mails the
    centre's notices of that event that were not e-mailed yet, once."""
    from marketplace.deals.notifications import email_event

    p = parties
    with app.test_request_context():
        deal = open_deal(p)
        db.session.commit()
        event_id = deal.events[0].id
        db.session.execute(sa.update(Notification).values(emailed_at=None))
        db.session.execute(sa.delete(OutboxMessage))
        assert email_event(event_id) == 1
        assert email_event(event_id) == 0
        db.session.commit()
        assert [m.recipient for m in db.session.scalars(sa.select(OutboxMessage))] == [
            p["seller"].email]
