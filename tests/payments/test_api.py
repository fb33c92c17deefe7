"""GET /api/v1/deals/{id}/payments: the payment requests with what each still owes."""

from marketplace.api.tokens import create_token
from marketplace.extensions import db
from tests.deals.conftest import load

from .conftest import sign_deal

TRANSFER = {"currency": "USD", "price": 1_500_000,
            "payment_schedule": [{"amount": 500_000, "due": "2030-01-15"},
                                 {"amount": 1_000_000, "due": "2030-06-30"}]}


def bearer(user) -> dict:
    token = create_token(load(user), "t")[1]
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_parties_list_the_payment_requests_and_outsiders_get_404(app, client, parties, fee):
    fee("1")
    # Set up in a context of its own: requests must not share it (it caches the token's user).
    with app.test_request_context():
        deal_id = sign_deal(parties, TRANSFER, deal_type="transfer")
        headers = {name: bearer(parties[name]) for name in ("buyer", "seller", "outsider")}
    response = client.get(f"/api/v1/deals/{deal_id}/payments", headers=headers["buyer"])
    assert response.status_code == 200
    body = response.json
    assert body["total"] == 2 and body["page"] == 1
    first = body["items"][0]
    assert {k: first[k] for k in ("seq", "count", "purpose", "amount", "currency", "due_date",
                                  "fee_amount", "paid", "outstanding", "status")} == {
        "seq": 1, "count": 2, "purpose": "price", "amount": 500_000, "currency": "USD",
        "due_date": "2030-01-15", "fee_amount": 5_000, "paid": 0, "outstanding": 500_000,
        "status": "awaiting"}
    assert first["fee_percent"] == "1.00"
    seller = client.get(f"/api/v1/deals/{deal_id}/payments", headers=headers["seller"])
    assert seller.status_code == 200
    outsider = client.get(f"/api/v1/deals/{deal_id}/payments",
                          headers=headers["outsider"])
    assert outsider.status_code == 404 and outsider.json["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/deals/{deal_id}/payments").status_code == 401
