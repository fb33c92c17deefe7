"""Staff actions on listings (hide, show again, open the confidential details) each write an
audit row in the same transaction as the action."""

import sqlalchemy as sa

from marketplace.audit import AuditEntry
from marketplace.extensions import db
from tests.conftest import login
from tests.listings.helpers import make_listing


def rows(app):
    with app.app_context():
        return [(e.actor_id, e.kind, e.subject_type, e.subject_id, e.reason)
                for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))]


def test_hide_unhide_and_confidential_view_are_audited(app, client, make_user, tmp_path,
                                                      monkeypatch):
    monkeypatch.setitem(app.config, "LISTING_ATTACHMENT_DIR", str(tmp_path))
    owner = make_user(kind="startup")
    staff = make_user(kind="agency", role="staff")
    with app.test_request_context():
        listing_id = make_listing(owner)
    login(client, staff, lang="en")
    client.post(f"/en/listings/{listing_id}/confidential", data={"reason": "신고 확인"})
    client.post(f"/en/listings/{listing_id}/hide", data={"reason": ""})  # refused: no row
    client.post(f"/en/listings/{listing_id}/hide", data={"reason": "연락처 노출"})
    client.post(f"/en/listings/{listing_id}/unhide")
    assert rows(app) == [
        (staff.id, "confidential_viewed", "listings", listing_id, "신고 확인"),
        (staff.id, "listing_hidden", "listings", listing_id, "연락처 노출"),
        (staff.id, "listing_unhidden", "listings", listing_id, None)]


def test_hidden_listings_are_a_console_queue(app, client, make_user, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LISTING_ATTACHMENT_DIR", str(tmp_path))
    owner = make_user(kind="startup")
    staff = make_user(kind="agency", role="staff")
    with app.test_request_context():
        hidden, shown = make_listing(owner), make_listing(owner)
    login(client, staff, lang="en")
    client.post(f"/en/listings/{hidden}/hide", data={"reason": "연락처 노출"})
    home = client.get("/en/staff/").get_data(as_text=True)
    item = home.split('data-queue="staff.hidden_listings"', 1)[1].split("</a>", 1)[0]
    assert "data-count>1<" in item
    page = client.get("/en/staff/hidden-listings").get_data(as_text=True)
    assert f'data-listing="{hidden}"' in page and f'data-listing="{shown}"' not in page
    assert "연락처 노출" in page
