"""Staff read a listing's confidential section and files only after a recorded "view
confidential" action, for a limited time; admins read the log of those accesses."""

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.api.tokens import create_token
from marketplace.clock import utcnow
from marketplace.errors import DomainError, PermissionDenied
from marketplace.extensions import db
from marketplace.listings.confidential import (
    STAFF_CONFIDENTIAL_WINDOW,
    ConfidentialAccess,
    can_see_confidential,
    record_confidential_access,
)
from marketplace.listings.models import Attachment, Listing
from tests.conftest import login

from .helpers import PDF, make_listing, user

SECRET = "셀 밸런싱 알고리즘 상세"  # the confidential text of helpers.offering_data


@pytest.fixture(autouse=True)
def _attachment_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LISTING_ATTACHMENT_DIR", str(tmp_path / "files"))


@pytest.fixture
def people(make_user):
    return {"owner": make_user(kind="startup"), "member": make_user(kind="firm"),
            "staff": make_user(kind="agency", role="staff"),
            "admin": make_user(kind=None, role="admin")}


def _client(app, who):
    client = app.test_client()
    login(client, who, lang="en")
    return client


def _listing_with_secret_file(app, owner) -> tuple[int, int]:
    with app.test_request_context():
        listing_id = make_listing(owner)
    client = _client(app, owner)
    client.post(f"/en/listings/{listing_id}/attachments", content_type="multipart/form-data",
                data={"file": (io.BytesIO(PDF), "secret.pdf"), "confidential": "y"})
    with app.app_context():
        attachment_id = db.session.scalar(sa.select(Attachment.id).where(
            Attachment.listing_id == listing_id, Attachment.confidential.is_(True)))
    assert attachment_id is not None
    return listing_id, attachment_id


def _accesses(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(sa.select(
            ConfidentialAccess.user_id, ConfidentialAccess.listing_id,
            ConfidentialAccess.listing_version, ConfidentialAccess.reason)).all()


def _sees_secret(client, listing_id, attachment_id, token_headers=None) -> bool:
    html = client.get(f"/en/offerings/{listing_id}").get_data(as_text=True)
    with client.get(f"/en/attachments/{attachment_id}") as download:
        status = download.status_code
    assert (SECRET in html) == (status == 200) == ("secret.pdf" in html), (status,)
    assert status in (200, 404)
    return status == 200


def _api_confidential_text(app, client, who, listing_id):
    with app.test_request_context():
        headers = {"Authorization": f"Bearer {create_token(user(who.id), 't')[1]}"}
        db.session.commit()
    return client.get(f"/api/v1/offerings/{listing_id}", headers=headers).get_json()[
        "confidential_text"]


def test_staff_open_confidential_details_only_through_a_recorded_action(app, people):
    listing_id, attachment_id = _listing_with_secret_file(app, people["owner"])
    staff = _client(app, people["staff"])
    assert _api_confidential_text(app, staff, people["staff"], listing_id) is None
    html = staff.get(f"/en/offerings/{listing_id}").get_data(as_text=True)
    assert f"/en/listings/{listing_id}/confidential" in html  # the action is offered
    assert not _sees_secret(staff, listing_id, attachment_id)
    assert _accesses(app) == []

    response = staff.post(f"/en/listings/{listing_id}/confidential",
                          data={"reason": "verifying a complaint"})
    assert response.status_code == 303
    assert _sees_secret(staff, listing_id, attachment_id)
    assert _api_confidential_text(app, staff, people["staff"], listing_id) == SECRET
    assert 'id="confidential-staff-access"' in staff.get(
        f"/en/offerings/{listing_id}").get_data(as_text=True)
    assert _accesses(app) == [(people["staff"].id, listing_id, 1, "verifying a complaint")]
    # the owner and other members are as before
    assert _sees_secret(_client(app, people["owner"]), listing_id, attachment_id)
    assert not _sees_secret(_client(app, people["member"]), listing_id, attachment_id)


def test_the_action_is_for_staff_and_checks_its_reason(app, people):
    listing_id, _ = _listing_with_secret_file(app, people["owner"])
    member = _client(app, people["member"])
    assert member.post(f"/en/listings/{listing_id}/confidential", data={}).status_code == 404
    staff = _client(app, people["staff"])
    too_long = staff.post(f"/en/listings/{listing_id}/confidential", data={"reason": "x" * 501})
    assert too_long.status_code == 400
    assert "Field cannot be longer than 500 characters." in too_long.get_data(as_text=True)
    assert SECRET not in too_long.get_data(as_text=True)
    assert staff.post("/en/listings/999999/confidential", data={}).status_code == 404
    assert _accesses(app) == []
    assert staff.post(f"/en/listings/{listing_id}/confidential", data={}).status_code == 303
    assert _accesses(app) == [(people["staff"].id, listing_id, 1, None)]


def test_access_lapses_and_the_log_cannot_change(app, people, ctx):
    listing = db.session.get(Listing, make_listing(people["owner"]))
    staff, member = user(people["staff"].id), user(people["member"].id)
    with pytest.raises(PermissionDenied):
        record_confidential_access(listing, member, "curious")
    with pytest.raises(DomainError):
        record_confidential_access(listing, staff, "x" * 501)
    db.session.add(ConfidentialAccess(
        listing_id=listing.id, listing_version=1, user_id=staff.id,
        created_at=utcnow() - STAFF_CONFIDENTIAL_WINDOW - timedelta(seconds=1)))
    db.session.commit()
    assert not can_see_confidential(listing, staff)  # an old access has lapsed
    access = record_confidential_access(listing, staff, None)
    db.session.commit()
    assert can_see_confidential(listing, staff)
    access.reason = "rewritten"
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(ConfidentialAccess, access.id))
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()


def test_the_database_refuses_to_edit_the_log(app, people):
    """On PostgreSQL even raw SQL cannot change or delete an access (SQLite: the model only)."""
    with app.test_request_context():
        listing = db.session.get(Listing, make_listing(people["owner"]))
        record_confidential_access(listing, user(people["staff"].id), "audit")
        db.session.commit()
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the trigger is PostgreSQL's")
        for statement in ("UPDATE confidential_accesses SET reason = 'x'",
                          "DELETE FROM confidential_accesses"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
                conn.execute(sa.text(statement))
    assert len(_accesses(app)) == 1


def test_admins_read_the_access_log_and_staff_do_not(app, people):
    listing_id, _ = _listing_with_secret_file(app, people["owner"])
    staff = _client(app, people["staff"])
    staff.post(f"/en/listings/{listing_id}/confidential", data={"reason": "checking a report"})
    admin = _client(app, people["admin"])
    page = admin.get("/en/staff/confidential-access")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Confidential access log" in html and "checking a report" in html
    assert people["staff"].display_name in html and f"/en/offerings/{listing_id}" in html
    korean = admin.get("/ko/staff/confidential-access").get_data(as_text=True)
    assert "기밀 정보 열람 기록" in korean and "열람자" in korean
    assert "/en/staff/confidential-access" in admin.get("/en/staff/verifications").get_data(
        as_text=True)
    assert staff.get("/en/staff/confidential-access").status_code == 404
    assert "/en/staff/confidential-access" not in staff.get(
        "/en/staff/verifications").get_data(as_text=True)
    assert _client(app, people["member"]).get("/en/staff/confidential-access").status_code \
        == 404
