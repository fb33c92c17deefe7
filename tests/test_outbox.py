"""The staff outbox: staff see that a message went, to whom and how it stands, but never a
secret it carries, and a deal's e-mail only when the deal is theirs."""

import logging
import re

import sqlalchemy as sa
from flask_migrate import upgrade
from rq import SimpleWorker

from marketplace import jobs
from marketplace.accounts.models import User
from marketplace.accounts.services import request_password_reset, user_for_reset_token
from marketplace.extensions import db
from marketplace.jobs import JobRun
from marketplace.mail.models import OutboxMessage
from tests.conftest import login, make_test_app
from tests.deals.conftest import load, open_deal
from tests.deals.conftest import parties as parties  # noqa: F401 (the fixture)
from tests.test_migrations import empty_database_url as empty_database_url  # noqa: F401

LIVE_RESET_LINK = re.compile(r"/password/reset/([A-Za-z0-9_\-]+\.[A-Za-z0-9_.\-]+)")


def _staff_client(app, make_user):
    client = app.test_client()
    login(client, make_user(kind="agency", role="staff"))
    return client


def test_a_reset_link_reaches_only_its_addressee(app, client, make_user, smtp_sink, caplog):
    caplog.set_level(logging.DEBUG)
    admin = make_user(kind=None, role="admin", lang="en")
    assert client.post("/en/password/forgot", data={"email": admin.email}).status_code == 302
    [delivered] = smtp_sink.bodies_to(admin.email)
    token = LIVE_RESET_LINK.search(delivered).group(1)

    page = _staff_client(app, make_user).get("/en/staff/outbox").get_data(as_text=True)
    assert admin.email in page and "Reset your Tech Trade-On password" in page
    assert "Sent" in page and "/password/reset/********" in page
    assert token not in page and not LIVE_RESET_LINK.search(page)
    assert token not in caplog.text
    with app.app_context():
        assert token not in db.session.scalars(sa.select(OutboxMessage.body)).one()

    # the addressee's link works, once
    path = f"/en/password/reset/{token}"
    done = client.post(path, data={"password": "admin-new-password", "confirm":
                                   "admin-new-password"})
    assert done.status_code == 302 and "/login" in done.headers["Location"]
    login(client, admin, password="admin-new-password")
    again = app.test_client().post(path, data={"password": "attacker-password", "confirm":
                                               "attacker-password"})
    assert "/password/forgot" in again.headers["Location"]


def test_without_a_mail_server_the_log_holds_only_the_masked_link(app, client, make_user,
                                                                   caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    user = make_user()
    client.post("/ko/password/forgot", data={"email": user.email})
    with app.app_context():
        assert db.session.scalars(sa.select(OutboxMessage.status)).one() == "logged"
    assert "/password/reset/********" in caplog.text
    assert not LIVE_RESET_LINK.search(caplog.text)


def test_a_reset_for_an_account_deactivated_before_delivery_is_not_sent(app, ctx, make_user,
                                                                        smtp_sink):
    user = make_user()
    request_password_reset(user.email)
    db.session.get(User, user.id).active = False
    db.session.commit()
    jobs.flush()
    assert db.session.scalars(sa.select(OutboxMessage.status)).one() == "dropped"
    assert smtp_sink.messages == []


def test_deal_mail_is_read_only_by_the_staff_assigned_to_the_deal(app, parties):
    p = parties
    with app.app_context():
        deal = open_deal(p)
        deal.assign_staff(load(p["admin"]), load(p["staff"]))
        db.session.commit()
        jobs.flush()
        deal_id = deal.id
        mails = db.session.scalars(sa.select(OutboxMessage)).all()
        assert mails and all(m.deal_id == deal_id for m in mails)
        subject = next(m.subject for m in mails if m.recipient == p["seller"].email)

    def outbox_as(who):
        client = app.test_client()
        login(client, p[who])
        return client.get("/en/staff/outbox").get_data(as_text=True)

    for who in ("other_staff", "admin"):  # an admin, too, reads deal content only when assigned
        hidden = outbox_as(who)
        assert p["seller"].email in hidden and f"E-mail about deal #{deal_id}" in hidden
        assert subject not in hidden and "Battery ageing AI" not in hidden
        assert "배터리" not in hidden and "Open it:" not in hidden
    page = outbox_as("staff")
    assert subject in page and "Open it:" in page


def test_a_worker_writes_a_working_token_into_the_mail_it_sends(app, ctx, make_user, smtp_sink,
                                                                monkeypatch, redis_url):
    """On the RQ path the token is made by the worker: neither Redis nor the job record ever
    holds it."""
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    connection = jobs.redis_connection()
    connection.flushdb()
    user = make_user()
    request_password_reset(user.email)
    db.session.commit()
    jobs.flush()
    assert smtp_sink.messages == []
    SimpleWorker([jobs.queue("mail")], connection=connection).work(burst=True)
    [body] = smtp_sink.bodies_to(user.email)
    token = LIVE_RESET_LINK.search(body).group(1)
    db.session.expire_all()
    assert user_for_reset_token(token).id == user.id
    assert all(token not in str(run.args) for run in db.session.scalars(sa.select(JobRun)))
    connection.flushdb()


def test_the_upgrade_masks_reset_links_already_in_the_outbox(empty_database_url):
    app = make_test_app(empty_database_url)
    with app.app_context():
        upgrade(revision="5e1f0a7c2b90")
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO outbox_messages (recipient, subject, body, status, created_at) "
                "VALUES ('a@example.com', 'Reset', :body, 'logged', CURRENT_TIMESTAMP)"),
                {"body": "Open:\nhttp://localhost/en/password/reset/eyJ1aWQiOjF9.Z2x.abc-_9\n"
                         "Thanks"})
        upgrade()
        with db.engine.connect() as conn:
            body = conn.scalar(sa.text("SELECT body FROM outbox_messages"))
        db.engine.dispose()
    assert body == "Open:\nhttp://localhost/en/password/reset/********\nThanks"
