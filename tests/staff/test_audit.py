"""The audit trail: one append-only row per staff or admin action, in the action's
transaction, and the page that filters it by person, kind and period."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace import audit
from marketplace.accounts.models import Organisation
from marketplace.audit import AuditEntry
from marketplace.errors import DomainError
from marketplace.extensions import db
from tests.conftest import login


def entries(app):
    with app.app_context():
        return [(e.actor_id, e.kind, e.subject_type, e.subject_id, e.reason)
                for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))]


def test_verify_reject_and_ending_sessions_are_audited(app, client, make_user):
    pending = make_user(kind="startup", verified=False)
    other = make_user(kind="firm", verified=False)
    staff = make_user(kind="agency", role="staff")
    login(client, staff)
    client.post(f"/ko/staff/organisations/{pending.organisation_id}/verify")
    client.post(f"/ko/staff/organisations/{other.organisation_id}/reject",
                data={"reason": "서류 불일치"})
    client.post(f"/ko/staff/users/{pending.id}/end-sessions")
    assert entries(app) == [
        (staff.id, "organisation_verified", "organisations", pending.organisation_id, None),
        (staff.id, "organisation_rejected", "organisations", other.organisation_id, "서류 불일치"),
        (staff.id, "sessions_ended", "users", pending.id, None)]


def test_a_refused_action_writes_no_audit_row(app, client, make_user):
    other = make_user(kind="firm", verified=False)
    staff = make_user(kind="agency", role="staff")
    login(client, staff)
    client.post(f"/ko/staff/organisations/{other.organisation_id}/reject", data={"reason": " "})
    assert entries(app) == []


def test_the_row_is_written_with_the_action_or_not_at_all(app, make_user):
    pending = make_user(kind="startup", verified=False)
    staff = make_user(kind="agency", role="staff")
    with app.test_request_context():
        org = db.session.get(Organisation, pending.organisation_id)
        org.verify(staff)
        db.session.rollback()
    assert entries(app) == []
    with app.test_request_context(), pytest.raises(ValueError):
        audit.record(staff, "no_such_kind", db.session.get(Organisation, pending.organisation_id))


def test_audit_rows_cannot_be_changed_or_deleted(app, make_user):
    pending = make_user(kind="startup", verified=False)
    staff = make_user(kind="agency", role="staff")
    with app.test_request_context():
        db.session.get(Organisation, pending.organisation_id).verify(staff)
        db.session.commit()
        entry = db.session.scalar(sa.select(AuditEntry))
        entry.reason = "rewritten"
        with pytest.raises(DomainError):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.scalar(sa.select(AuditEntry)))
        with pytest.raises(DomainError):
            db.session.commit()
        db.session.rollback()
        if db.engine.dialect.name == "postgresql":  # the trigger refuses bulk SQL too
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                db.session.execute(sa.text("DELETE FROM audit_entries"))
            db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 1


@pytest.fixture
def audited(app, make_user):
    """Two staff members' actions on three days (written as they were: rows cannot be
    changed afterwards)."""
    one = make_user(kind="agency", role="staff")
    two = make_user(kind="agency", role="staff")
    orgs = [make_user(kind="startup", verified=False).organisation_id for _ in range(3)]
    with app.app_context():
        for actor, org_id, kind, day in ((one, orgs[0], "organisation_verified", 1),
                                         (two, orgs[1], "organisation_verified", 2),
                                         (one, orgs[2], "organisation_rejected", 3)):
            db.session.add(AuditEntry(actor_id=actor.id, kind=kind, subject_type="organisations",
                                      subject_id=org_id, reason="중복 등록",
                                      created_at=datetime(2026, 10, day, 12, tzinfo=UTC)))
        db.session.commit()
    return one, two, orgs


@pytest.mark.parametrize("query,expected", [
    ({}, 3),
    ({"kind": "organisation_rejected"}, 1),
    ({"from": "2026-10-02", "to": "2026-10-02"}, 1),
    ({"from": "2026-10-02"}, 2),
])
def test_audit_page_filters(client, make_user, audited, query, expected):
    admin = make_user(kind=None, role="admin")
    login(client, admin)
    response = client.get("/en/staff/audit", query_string=query)
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("data-audit=") == expected


def test_audit_page_filters_by_person_and_paginates(client, make_user, audited, monkeypatch):
    one, two, _ = audited
    admin = make_user(kind=None, role="admin")
    login(client, admin)
    page = client.get("/en/staff/audit", query_string={"actor": one.id}).get_data(as_text=True)
    assert page.count("data-audit=") == 2 and "Organisation rejected" in page
    monkeypatch.setattr("marketplace.staff.audit_views.PER_PAGE", 2)
    first = client.get("/en/staff/audit").get_data(as_text=True)
    assert first.count("data-audit=") == 2 and "page=2" in first
    second = client.get("/en/staff/audit", query_string={"page": 2}).get_data(as_text=True)
    assert second.count("data-audit=") == 1


@pytest.mark.parametrize("query", [{"from": "10/02/2026"}, {"kind": "nope"}, {"actor": "x"},
                                   {"from": "2026-10-03", "to": "2026-10-01"}])
def test_audit_page_refuses_bad_filters_in_korean(client, make_user, query):
    admin = make_user(kind=None, role="admin")
    login(client, admin)
    response = client.get("/ko/staff/audit", query_string=query)
    assert response.status_code == 400
    assert "조회 조건을 확인하세요" in response.get_data(as_text=True)


def test_audit_entry_times_are_recent(app, make_user):
    pending = make_user(kind="startup", verified=False)
    staff = make_user(kind="agency", role="staff")
    with app.test_request_context():
        db.session.get(Organisation, pending.organisation_id).verify(staff)
        db.session.commit()
        entry = db.session.scalar(sa.select(AuditEntry))
        assert datetime.now(UTC) - entry.created_at < timedelta(minutes=1)
