"""Concurrent answers on one settlement account or one transfer: one winner, the others 409.
PostgreSQL only (the database that serves concurrent requests); each request has its own
client and so its own connection, and all have read the row before the first takes its lock."""

from datetime import date

import pytest

from marketplace.extensions import db
from marketplace.payments import ledger, settlement, transfers
from marketplace.payments.models import EntryKind, LedgerEntry
from tests.deals.test_races import _race

from .conftest import sign_deal
from .test_api import bearer
from .test_payments_api import ACCOUNT


@pytest.fixture(autouse=True)
def _postgres_only(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("concurrent requests are served by PostgreSQL")


def _post(app, url, headers, json=None):
    client = app.test_client()
    return lambda: client.post(url, headers=headers, json=json)


def test_three_staff_confirming_one_account_at_once_make_one_confirmation(
        app, parties, monkeypatch, make_user):
    staff = [parties["staff"], parties["other_staff"], make_user(kind="agency", role="staff")]
    with app.test_request_context():
        seller = bearer(parties["seller"])
        tokens = [bearer(s) for s in staff]
    app.test_client().put("/api/v1/organisations/me/settlement-account", json=ACCOUNT,
                          headers=seller)
    url = f"/api/v1/organisations/{parties['seller'].organisation_id}/settlement-account/confirm"
    responses = _race(monkeypatch, [_post(app, url, t) for t in tokens],
                      owner=settlement, name="account_of")
    assert sorted(r.status_code for r in responses) == [200, 409, 409]
    with app.app_context():
        account = settlement.account_of(parties["seller"].organisation_id)
        winner = next(s for s, r in zip(staff, responses, strict=True) if r.status_code == 200)
        assert account.confirmed_by_id == winner.id


def test_the_payee_confirming_twice_at_once_records_one_payment(app, parties, monkeypatch):
    with app.test_request_context():
        deal_id = sign_deal(parties)
        [req] = ledger.requests_of(deal_id)
        req_id = req.id
        buyer, seller = bearer(parties["buyer"]), bearer(parties["seller"])
    app.test_client().post(f"/api/v1/payments/{req_id}/transfer", headers=buyer, json={
        "reference": "TTO", "paid_on": date.today().isoformat()})
    responses = _race(monkeypatch, [_post(app, f"/api/v1/payments/{req_id}/confirm", seller)
                                    for _ in range(3)], owner=transfers, name="lock_deal")
    assert sorted(r.status_code for r in responses) == [200, 409, 409], \
        [r.json for r in responses]
    with app.app_context():
        assert db.session.query(LedgerEntry).filter_by(
            kind=EntryKind.transfer_confirmed).count() == 1
