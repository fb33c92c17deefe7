"""Administrators grant and revoke roles and deactivate accounts from the console; every change
is audited, an administrator cannot demote or deactivate themselves, and only admins may."""

import sqlalchemy as sa

from marketplace.accounts.models import User, UserSession
from marketplace.audit import AuditEntry
from marketplace.extensions import db
from tests.conftest import login


def audit_rows(app):
    with app.app_context():
        return [(e.actor_id, e.kind, e.subject_id, e.reason, e.details)
                for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))]


def user(app, user_id) -> User:
    with app.app_context():
        found = db.session.get(User, user_id)
        db.session.expunge(found)
        return found


def test_admin_grants_and_revokes_staff(app, client, make_user):
    member = make_user(kind="firm")
    admin = make_user(kind=None, role="admin")
    login(client, admin)
    response = client.post(f"/en/staff/users/{member.id}/role",
                           data={"role": "staff", "reason": "새 담당자"})
    assert response.status_code == 303
    assert user(app, member.id).role == "staff"
    client.post(f"/en/staff/users/{member.id}/role", data={"role": "member"})
    assert user(app, member.id).role == "member"
    assert audit_rows(app) == [
        (admin.id, "role_changed", member.id, "새 담당자", {"from": "member", "to": "staff"}),
        (admin.id, "role_changed", member.id, None, {"from": "staff", "to": "member"})]
    page = client.get("/en/staff/audit").get_data(as_text=True)
    assert page.count('data-audit="role_changed"') == 2
    assert "(Member → Staff)" in page and "(Staff → Member)" in page


def test_admin_cannot_demote_or_deactivate_themselves(app, client, make_user):
    admin = make_user(kind=None, role="admin")
    login(client, admin, lang="ko")
    response = client.post(f"/ko/staff/users/{admin.id}/role", data={"role": "staff"})
    assert response.status_code == 403
    assert "자신의 역할은 바꿀 수 없습니다" in response.get_data(as_text=True)
    response = client.post(f"/en/staff/users/{admin.id}/deactivate", data={})
    assert response.status_code == 403
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert user(app, admin.id).role == "admin" and user(app, admin.id).active
    assert audit_rows(app) == []


def test_bad_role_and_member_without_organisation_are_refused(app, client, make_user):
    staff = make_user(kind=None, role="staff")
    admin = make_user(kind=None, role="admin")
    login(client, admin)
    response = client.post(f"/ko/staff/users/{staff.id}/role", data={"role": "boss"})
    assert response.status_code == 400
    response = client.post(f"/ko/staff/users/{staff.id}/role", data={"role": "member"})
    assert response.status_code == 400
    assert "소속 기관이 없는 계정" in response.get_data(as_text=True)
    assert user(app, staff.id).role == "staff" and audit_rows(app) == []


def test_deactivation_ends_sessions_and_reactivation_restores_sign_in(app, make_user):
    member = make_user(kind="startup")
    admin = make_user(kind=None, role="admin")
    member_client, admin_client = app.test_client(), app.test_client()
    login(member_client, member)
    assert member_client.get("/ko/profile").status_code == 200
    login(admin_client, admin)
    response = admin_client.post(f"/ko/staff/users/{member.id}/deactivate",
                                 data={"reason": "퇴사"})
    assert response.status_code == 303
    assert member_client.get("/ko/profile").status_code == 302  # signed out
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)
                                 .where(UserSession.user_id == member.id)) == 0
    assert member_client.post("/ko/login", data={"email": member.email,
                                                 "password": "correct-horse-battery"}
                              ).status_code == 400
    admin_client.post(f"/ko/staff/users/{member.id}/reactivate", data={})
    login(member_client, member)
    assert [row[1:4] for row in audit_rows(app)] == [
        ("account_deactivated", member.id, "퇴사"), ("account_reactivated", member.id, None)]


def test_only_admins_manage_users(app, client, make_user):
    member = make_user(kind="firm")
    staff = make_user(kind="agency", role="staff")
    login(client, staff)
    for path, data in ((f"/ko/staff/users/{member.id}/role", {"role": "staff"}),
                       (f"/ko/staff/users/{member.id}/deactivate", {}),
                       (f"/ko/staff/users/{member.id}/reactivate", {})):
        assert client.post(path, data=data).status_code == 404
    assert client.get("/ko/staff/users").status_code == 404
    assert user(app, member.id).role == "member" and user(app, member.id).active


def test_users_page_searches_by_name_or_email(client, make_user):
    make_user(kind="firm", email="alpha@example.com")
    make_user(kind="firm", email="beta@example.com")
    admin = make_user(kind=None, role="admin")
    login(client, admin)
    page = client.get("/en/staff/users", query_string={"q": "ALPHA"}).get_data(as_text=True)
    assert 'data-user="alpha@example.com"' in page and "beta@example.com" not in page
