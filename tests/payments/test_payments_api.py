"""The payments API: settlement accounts, the payer's pay-to, declaring, confirming and
rejecting a transfer, recording the tax invoice; the pages' rules, 404 for other deals."""

from datetime import date

from marketplace.deals.models import Deal, DealState
from marketplace.extensions import db
from marketplace.payments import ledger
from tests.deals.conftest import LICENSE

from .conftest import sign_deal
from .test_api import bearer

ACCOUNT = {"bank_code": "004", "account_number": "123456-01-234567", "holder": "(주)배터리랩"}
APPROVAL = "20261130-41000000-12345678"


def _setup(app, parties, fields=None):
    with app.test_request_context():
        deal_id = sign_deal(parties, fields or {**LICENSE, "vat": "standard"})
        [req] = ledger.requests_of(deal_id)
        headers = {name: bearer(parties[name])
                   for name in ("buyer", "seller", "outsider", "staff")}
        return deal_id, req.id, headers


def _items(client, deal_id, headers):
    response = client.get(f"/api/v1/deals/{deal_id}/payments", headers=headers)
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_settlement_account_is_entered_confirmed_by_staff_and_then_shown_to_the_payer(
        app, client, parties):
    deal_id, req_id, h = _setup(app, parties)
    assert client.get("/api/v1/organisations/me/settlement-account",
                      headers=h["seller"]).status_code == 404
    put = client.put("/api/v1/organisations/me/settlement-account", json=ACCOUNT,
                     headers=h["seller"])
    assert put.status_code == 200, put.json
    assert put.json["account_number"] == "**********4567" and put.json["confirmed_at"] is None
    assert put.json["bank"] == "KB국민은행" and put.json["bank_code"] == "004"

    [item] = _items(client, deal_id, h["buyer"])                 # not confirmed: no pay_to
    assert "pay_to" not in item
    assert "정산 계좌가 아직 없어" in item["pay_to_message"]
    assert (item["supply_value"], item["vat"], item["total"]) == (
        50_000_000, 5_000_000, 55_000_000)
    assert item["label"] and item["due"] and item["reference"] == f"TTO-{deal_id}-{req_id}"

    org_id = parties["seller"].organisation_id
    for who in ("buyer", "seller", "outsider"):
        refused = client.post(f"/api/v1/organisations/{org_id}/settlement-account/confirm",
                              headers=h[who])
        assert refused.status_code == 404, who
    confirmed = client.post(f"/api/v1/organisations/{org_id}/settlement-account/confirm",
                            headers=h["staff"])
    assert confirmed.status_code == 200 and confirmed.json["confirmed_at"]
    again = client.post(f"/api/v1/organisations/{org_id}/settlement-account/confirm",
                        headers=h["staff"])
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"

    [item] = _items(client, deal_id, h["buyer"])
    assert item["pay_to"] == {"bank_code": "004", "bank": "KB국민은행",
                              "account_number": "12345601234567",
                              "holder": "(주)배터리랩"}
    [seen_by_payee] = _items(client, deal_id, h["seller"])
    assert "pay_to" not in seen_by_payee and "pay_to_message" not in seen_by_payee
    own = client.get("/api/v1/organisations/me/settlement-account", headers=h["seller"])
    assert own.json["account_number"] == "**********4567" and own.json["confirmed_at"]

    bad = client.put("/api/v1/organisations/me/settlement-account",
                     json={**ACCOUNT, "bank_code": "999"}, headers=h["seller"])
    assert bad.status_code == 422
    short = client.put("/api/v1/organisations/me/settlement-account",
                       json={**ACCOUNT, "account_number": "1234567890123456789"},
                       headers=h["seller"])
    assert short.status_code == 422 and "account_number" in short.json["error"]["fields"]
    with app.app_context():      # nothing half-written: still the confirmed account
        [item] = _items(client, deal_id, h["buyer"])
        assert item["pay_to"]["account_number"] == "12345601234567"


def test_transfer_declared_rejected_declared_confirmed_and_the_tax_invoice(
        app, client, parties):
    deal_id, req_id, h = _setup(app, parties)
    today = date.today().isoformat()
    url = f"/api/v1/payments/{req_id}"
    # the payer of another deal, and the payee, cannot declare
    assert client.post(f"{url}/transfer", json={"reference": "X", "paid_on": today},
                       headers=h["outsider"]).status_code == 404
    assert client.post(f"{url}/transfer", json={"reference": "X", "paid_on": today},
                       headers=h["seller"]).status_code == 403
    assert client.post(f"{url}/confirm", headers=h["seller"]).status_code == 409
    declared = client.post(f"{url}/transfer", json={"reference": f"TTO-{deal_id}-{req_id}",
                                                    "paid_on": today}, headers=h["buyer"])
    assert declared.status_code == 200 and declared.json["status"] == "transfer_declared"
    assert client.post(f"{url}/transfer", json={"reference": "again", "paid_on": today},
                       headers=h["buyer"]).status_code == 409
    assert client.post(f"{url}/confirm", headers=h["buyer"]).status_code == 403
    assert client.post(f"{url}/reject", json={}, headers=h["outsider"]).status_code == 404
    rejected = client.post(f"{url}/reject", json={"note": "입금 내역이 없습니다"},
                           headers=h["seller"])
    assert rejected.status_code == 200 and rejected.json["status"] == "awaiting"
    assert client.post(f"{url}/tax-invoice", json={"approval_no": APPROVAL,
                                                   "issued_on": today},
                       headers=h["seller"]).status_code == 409      # nothing arrived yet
    client.post(f"{url}/transfer", json={"reference": "TTO", "paid_on": today},
                headers=h["buyer"])
    confirmed = client.post(f"{url}/confirm", headers=h["seller"])
    assert confirmed.status_code == 200 and confirmed.json["status"] == "paid"
    assert confirmed.json["paid_total"] == 55_000_000
    with app.app_context():
        assert db.session.get(Deal, deal_id).state == DealState.paid

    invoice = {"approval_no": APPROVAL, "issued_on": today}
    assert client.post(f"{url}/tax-invoice", json=invoice,
                       headers=h["buyer"]).status_code == 403
    assert client.post(f"{url}/tax-invoice", json={**invoice, "approval_no": "123"},
                       headers=h["seller"]).status_code == 422
    recorded = client.post(f"{url}/tax-invoice", json=invoice, headers=h["seller"])
    assert recorded.status_code == 200
    assert recorded.json["tax_invoice"] == {"approval_no": APPROVAL, "issued_on": today}
    assert client.post(f"{url}/tax-invoice", json=invoice,
                       headers=h["seller"]).status_code == 409


def test_zero_rated_terms_ask_for_no_vat(app, client, parties):
    deal_id, _req_id, h = _setup(app, parties, {**LICENSE, "vat": "zero_rated"})
    [item] = _items(client, deal_id, h["buyer"])
    assert (item["supply_value"], item["vat"], item["total"]) == (50_000_000, 0, 50_000_000)
