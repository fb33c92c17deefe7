"""A session ends when its user signs out, and every session of an account ends when its
password is reset or staff end them: replaying a saved session or remember cookie then signs
nobody in, and the account's personal API tokens are revoked with them (a token made by someone
who took the account over must not outlive the reset). Signing out of one browser leaves the
tokens alone."""

import re

from marketplace.accounts.models import User
from marketplace.api import tokens
from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD, login


def _sign_in(app, user, remember=False):
    client = app.test_client()
    data = {"email": user.email, "password": TEST_PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/en/login", data=data).status_code == 302
    return client


def _signed_in(client) -> bool:
    response = client.get("/en/profile")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def _with_cookie(app, name, value):
    """A new browser holding only this cookie."""
    client = app.test_client()
    client.set_cookie(name, value)
    return client


def test_a_saved_session_cookie_stops_working_at_sign_out(app, make_user):
    client = _sign_in(app, make_user())
    saved = client.get_cookie("session").value
    assert _signed_in(_with_cookie(app, "session", saved))
    client.post("/en/logout")
    assert not _signed_in(client)
    client.set_cookie("session", saved)
    response = client.get("/en/profile")
    assert response.status_code == 302 and "/en/login" in response.headers["Location"]


def test_a_remember_cookie_stops_working_at_sign_out(app, make_user):
    client = _sign_in(app, make_user(), remember=True)
    remember = client.get_cookie("remember_token").value
    assert _signed_in(_with_cookie(app, "remember_token", remember))
    client.post("/en/logout")
    assert not _signed_in(_with_cookie(app, "remember_token", remember))


def test_signing_out_on_one_device_leaves_the_others_signed_in(app, make_user):
    user = make_user()
    laptop, phone = _sign_in(app, user), _sign_in(app, user, remember=True)
    laptop.post("/en/logout")
    assert not _signed_in(laptop) and _signed_in(phone)


def test_a_password_reset_ends_every_session_of_the_account(app, client, make_user,
                                                            smtp_sink):
    user = make_user(lang="en")
    other = make_user()
    elsewhere = _sign_in(app, user, remember=True)
    remember = elsewhere.get_cookie("remember_token").value
    bystander = _sign_in(app, other)
    client.post("/en/password/forgot", data={"email": user.email})
    [body] = smtp_sink.bodies_to(user.email)
    path = re.search(r"/en/password/reset/\S+", body).group(0)
    client.post(path, data={"password": "a-new-password!", "confirm": "a-new-password!"})
    assert not _signed_in(elsewhere)
    assert not _signed_in(_with_cookie(app, "remember_token", remember))
    assert _signed_in(bystander)
    login(client, user, password="a-new-password!", lang="en")
    assert _signed_in(client)


def test_staff_end_every_session_of_an_account(app, make_user):
    member = make_user(kind="startup")
    device = _sign_in(app, member, remember=True)
    remember = device.get_cookie("remember_token").value
    staff = _sign_in(app, make_user(kind="agency", role="staff"))
    page = staff.get(f"/en/organisations/{member.organisation_id}").get_data(as_text=True)
    assert member.email in page and "Sign out everywhere" in page
    response = staff.post(f"/en/staff/users/{member.id}/end-sessions", follow_redirects=True)
    assert response.status_code == 200
    assert f"{member.display_name} is now signed out everywhere." in response.get_data(
        as_text=True)
    assert not _signed_in(device)
    assert not _signed_in(_with_cookie(app, "remember_token", remember))
    assert _signed_in(staff)


def test_only_staff_end_sessions_and_only_admins_end_an_admins(app, make_user):
    member, admin = make_user(), make_user(kind=None, role="admin")
    outsider = _sign_in(app, make_user())
    assert outsider.post(f"/en/staff/users/{member.id}/end-sessions").status_code == 404
    page = outsider.get(f"/en/organisations/{member.organisation_id}").get_data(as_text=True)
    assert "Sign out everywhere" not in page and member.email not in page
    admin_device = _sign_in(app, admin)
    staff = _sign_in(app, make_user(kind="agency", role="staff"))
    refused = staff.post(f"/ko/staff/users/{admin.id}/end-sessions")
    assert refused.status_code == 403 and "관리자만 할 수 있습니다." in refused.get_data(
        as_text=True)
    assert _signed_in(admin_device)
    assert _sign_in(app, make_user(kind=None, role="admin")).post(
        f"/en/staff/users/{admin.id}/end-sessions").status_code == 302
    assert not _signed_in(admin_device)


def _token(app, user):
    with app.test_request_context():
        _, secret = tokens.create_token(db.session.get(User, user.id), "ci")
        db.session.commit()
    return secret


def _api_answers(app, secret) -> int:
    return app.test_client().get("/api/v1/deals",
                                 headers={"Authorization": f"Bearer {secret}"}).status_code


def test_api_tokens_end_with_every_session_but_not_with_one_sign_out(app, make_user, runner,
                                                                     smtp_sink):
    user, other = make_user(lang="en"), make_user()
    secret, others = _token(app, user), _token(app, other)
    device = _sign_in(app, user)
    device.post("/en/logout")
    assert _api_answers(app, secret) == 200
    result = runner.invoke(args=["users", "end-sessions", user.email])
    assert result.exit_code == 0, result.output
    assert _api_answers(app, secret) == 401
    assert _api_answers(app, others) == 200
    unknown = runner.invoke(args=["users", "end-sessions", "nobody@example.com"])
    assert unknown.exit_code != 0
    # a token made after that ends at the next password reset
    secret = _token(app, user)
    client = app.test_client()
    client.post("/en/password/forgot", data={"email": user.email})
    path = re.search(r"/en/password/reset/\S+", smtp_sink.bodies_to(user.email)[-1]).group(0)
    assert _api_answers(app, secret) == 200
    client.post(path, data={"password": "a-new-password!", "confirm": "a-new-password!"})
    assert _api_answers(app, secret) == 401
    with app.app_context():
        assert all(t.revoked_at for t in tokens.tokens_of(db.session.get(User, user.id)))
    assert _api_answers(app, others) == 200


def test_signing_in_again_ends_the_browsers_previous_session(app, make_user):
    user = make_user()
    client = _sign_in(app, user)
    saved = client.get_cookie("session").value
    assert client.post("/en/login", data={"email": user.email, "password": TEST_PASSWORD}) \
        .status_code == 302
    assert _signed_in(client)
    assert not _signed_in(_with_cookie(app, "session", saved))
