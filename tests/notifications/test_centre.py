"""The notification centre: one table, one page with the unread badge, preferences per kind,
e-mail at once or in a daily digest, and the API — driven by a real kind (a verification
decision)."""

from datetime import timedelta

import sqlalchemy as sa

from marketplace.api.tokens import create_token
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.mail.models import OutboxMessage
from marketplace.notifications.models import Notification
from marketplace.notifications.services import send_digests
from tests.conftest import login


def _decide(client, app, make_user, verified=True, lang="ko"):
    member = make_user(kind="startup", verified=False, lang=lang)
    staff = make_user(kind="agency", role="staff")
    login(client, staff)
    org_id = member.organisation_id
    if verified:
        client.post(f"/ko/staff/organisations/{org_id}/verify")
    else:
        client.post(f"/ko/staff/organisations/{org_id}/reject",
                    data={"reason": "사업자등록증 불일치"})
    client.post("/ko/logout")
    return member


def _mails_to(app, address):
    with app.app_context():
        return list(db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.recipient == address)))


def test_a_verified_organisation_sees_the_badge_the_notice_and_gets_an_email(app, client,
                                                                            make_user):
    member = _decide(client, app, make_user, lang="en")
    mails = _mails_to(app, member.email)
    assert len(mails) == 1 and "is verified" in mails[0].subject
    login(client, member, lang="en")
    home = client.get("/en/offerings").get_data(as_text=True)
    assert "data-unread-badge>1<" in home
    # on a phone the menu is folded: the count shows beside the menu button too
    assert 'data-unread-phone><span class="visually-hidden">Notifications </span>1<' in home
    page = client.get("/en/notifications/").get_data(as_text=True)
    assert "is verified: you can now post listings and open deals." in page
    with app.app_context():
        notice_id = db.session.scalar(sa.select(Notification.id))
    opened = client.get(f"/en/notifications/{notice_id}")
    assert opened.status_code == 303 and opened.location.endswith("/en/profile")
    read = client.get("/en/offerings").get_data(as_text=True)
    assert "data-unread-badge" not in read and "data-unread-phone" not in read


def test_a_rejection_gives_the_reason_in_the_readers_language(app, client, make_user):
    member = _decide(client, app, make_user, verified=False, lang="ko")
    mail = _mails_to(app, member.email)[0]
    assert "반려" in mail.subject and "사업자등록증 불일치" in mail.subject + mail.body
    login(client, member)
    assert "담당자가 남긴 사유: 사업자등록증 불일치" in client.get(
        "/ko/notifications/").get_data(as_text=True)


def test_nobody_opens_or_marks_another_users_notice(app, client, make_user):
    _decide(client, app, make_user)
    with app.app_context():
        notice_id = db.session.scalar(sa.select(Notification.id))
    login(client, make_user(kind="firm"))
    assert client.get(f"/ko/notifications/{notice_id}").status_code == 404
    client.post(f"/ko/notifications/{notice_id}/read")
    client.post("/ko/notifications/read")
    with app.app_context():
        assert db.session.get(Notification, notice_id).read_at is None


def test_off_writes_nothing_and_digest_sends_one_email_a_day(app, client, make_user):
    member = make_user(kind="startup", verified=False)
    login(client, member)
    response = client.post("/ko/notifications/preferences", data={
        "organisation_verified": "off", "organisation_rejected": "digest"})
    assert response.status_code == 303
    client.post("/ko/logout")
    staff = make_user(kind="agency", role="staff")
    login(client, staff)
    client.post(f"/ko/staff/organisations/{member.organisation_id}/verify")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    client.post(f"/ko/staff/organisations/{member.organisation_id}/reject",
                data={"reason": "첫째 사유"})
    client.post(f"/ko/staff/organisations/{member.organisation_id}/reject",
                data={"reason": "둘째 사유"})
    assert _mails_to(app, member.email) == []
    with app.test_request_context():
        assert send_digests() == 0  # not a day old yet
        db.session.execute(sa.update(Notification).values(
            created_at=utcnow() - timedelta(days=1, minutes=1)))
        assert send_digests() == 1
        assert send_digests() == 0
        db.session.commit()
    mails = _mails_to(app, member.email)
    assert len(mails) == 1 and "알림 2건" in mails[0].subject
    assert "첫째 사유" in mails[0].body and "둘째 사유" in mails[0].body


def test_the_api_lists_in_the_users_language_and_marks_read(app, client, make_user):
    member = _decide(client, app, make_user, lang="en")
    with app.test_request_context():
        header = {"Authorization": f"Bearer {create_token(db.session.merge(member), 't')[1]}"}
        db.session.commit()
    body = client.get("/api/v1/notifications", headers=header).get_json()
    assert body["unread"] == 1
    item = body["items"][0]
    assert item["kind"] == "organisation_verified" and item["read"] is False
    assert item["subject"] == {"type": "organisation", "id": member.organisation_id}
    assert "is verified" in item["title"] and item["url"].endswith("/en/profile")
    ko = client.get("/api/v1/notifications?lang=ko", headers=header).get_json()
    assert "기관 인증이 완료" in ko["items"][0]["title"]
    nothing = client.post("/api/v1/notifications/read", json={"ids": []}, headers=header)
    assert nothing.get_json() == {"marked": 0, "unread": 1}
    empty = client.post("/api/v1/notifications/read", json={}, headers=header)
    assert empty.status_code == 422 and "ids" in empty.get_json()["error"]["fields"]
    bad = client.post("/api/v1/notifications/read", json={"ids": ["x"]}, headers=header)
    assert bad.status_code == 422
    done = client.post("/api/v1/notifications/read", json={"ids": [item["id"]]}, headers=header)
    assert done.get_json() == {"marked": 1, "unread": 0}
    assert client.get("/api/v1/notifications").status_code == 401
