"""Claiming a help request and assigning staff to a deal each write an audit row, in the
transaction that records the deal event."""

import sqlalchemy as sa

from marketplace.audit import AuditEntry
from marketplace.extensions import db
from tests.conftest import login
from tests.deals.conftest import open_deal, parties  # noqa: F401 - fixture


def rows(app):
    with app.app_context():
        return [(e.actor_id, e.kind, e.subject_type, e.subject_id, e.details)
                for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))]


def test_claim_and_assign_are_audited(app, parties):  # noqa: F811
    p = parties
    with app.test_request_context():
        deal = open_deal(p)
        db.session.commit()
        deal_id = deal.id
    buyer, staff, admin = app.test_client(), app.test_client(), app.test_client()
    login(buyer, p["buyer"], lang="en")
    login(staff, p["staff"], lang="en")
    login(admin, p["admin"], lang="en")
    buyer.post(f"/en/deals/{deal_id}/help", data={"note": "pricing?"})
    assert staff.post(f"/en/deals/{deal_id}/claim").status_code == 303
    assert admin.post(f"/en/deals/{deal_id}/assign",
                      data={"staff_id": str(p["other_staff"].id)}).status_code == 303
    assert rows(app) == [
        (p["staff"].id, "deal_claimed", "deals", deal_id, None),
        (p["admin"].id, "deal_assigned", "deals", deal_id, {"staff_id": p["other_staff"].id})]
