
from tests.deals.conftest import LICENSE, parties  # noqa: F401  (fixture)


def _open(client, parties, tokens):  # noqa: F811
    response = client.post("/api/v1/deals", headers=tokens["buyer"], json={
        "offering_id": parties["offering_id"], "deal_type": "license",
        "message": "라이선스 조건을 협의하고 싶습니다."})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_two_rounds_of_negotiation_to_agreement(client, parties, tokens):  # noqa: F811
    deal = _open(client, parties, tokens)
    assert deal["state"] == "inquiry" and "accept_inquiry" not in deal["allowed_actions"]
    deal_id = deal["id"]
    accepted = client.post(f"/api/v1/deals/{deal_id}/accept", json={}, headers=tokens["seller"])
    assert accepted.get_json()["state"] == "negotiating"

    offer = client.post(f"/api/v1/deals/{deal_id}/terms", headers=tokens["buyer"],
                        json={"based_on_version": None, "terms": LICENSE})
    assert offer.status_code == 201 and offer.get_json()["version"] == 1
    counter = client.post(f"/api/v1/deals/{deal_id}/terms", headers=tokens["seller"], json={
        "based_on_version": 1, "terms": {**LICENSE, "upfront_fee": 70_000_000}})
    assert counter.get_json()["version"] == 2
    stale = client.post(f"/api/v1/deals/{deal_id}/terms", headers=tokens["buyer"], json={
        "based_on_version": 1, "terms": {**LICENSE, "upfront_fee": 60_000_000}})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "conflict"
    assert client.post(f"/api/v1/deals/{deal_id}/terms/1/accept",
                       headers=tokens["buyer"]).status_code == 409
    agreed = client.post(f"/api/v1/deals/{deal_id}/terms/2/accept", headers=tokens["buyer"])
    assert agreed.status_code == 200 and agreed.get_json()["state"] == "agreed"
    events = client.get(f"/api/v1/deals/{deal_id}/events", headers=tokens["seller"]).get_json()
    assert [e["kind"] for e in events][-1] == "accept_terms"
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    versions = client.get(f"/api/v1/deals/{deal_id}/terms", headers=tokens["buyer"]).get_json()
    assert [v["terms"]["upfront_fee"] for v in versions] == [50_000_000, 70_000_000]


def test_invalid_terms_are_field_errors(client, parties, tokens):  # noqa: F811
    deal_id = _open(client, parties, tokens)["id"]
    client.post(f"/api/v1/deals/{deal_id}/accept", json={}, headers=tokens["seller"])
    bad = client.post(f"/api/v1/deals/{deal_id}/terms", headers=tokens["buyer"],
                      json={"based_on_version": 0, "terms": {"currency": "EUR"}})
    assert bad.status_code == 400
    assert "currency" in bad.get_json()["error"]["fields"]


def test_outsiders_and_unassigned_staff_get_404_everywhere(client, parties, tokens):  # noqa: F811
    deal_id = _open(client, parties, tokens)["id"]
    for who in ("outsider", "staff"):
        headers = tokens[who]
        for method, path, body in [
            ("get", f"/api/v1/deals/{deal_id}", None),
            ("get", f"/api/v1/deals/{deal_id}/events", None),
            ("get", f"/api/v1/deals/{deal_id}/terms", None),
            ("get", f"/api/v1/deals/{deal_id}/messages", None),
            ("post", f"/api/v1/deals/{deal_id}/accept", {}),
            ("post", f"/api/v1/deals/{deal_id}/decline", {"reason": "price"}),
            ("post", f"/api/v1/deals/{deal_id}/withdraw", {}),
            ("get", f"/api/v1/deals/{deal_id}/nda", None),
            ("get", f"/api/v1/deals/{deal_id}/nda/pdf", None),
            ("post", f"/api/v1/deals/{deal_id}/nda/confirm", {"sha256": "0" * 64,
                                                              "password": "x"}),
            ("post", f"/api/v1/deals/{deal_id}/terms", {"based_on_version": 0,
                                                        "terms": LICENSE}),
            ("post", f"/api/v1/deals/{deal_id}/terms/1/accept", None),
            ("post", f"/api/v1/deals/{deal_id}/messages", {"body": "hi"}),
        ]:
            response = getattr(client, method)(path, json=body, headers=headers)
            assert response.status_code == 404, (who, path, response.status_code)
        listed = client.get("/api/v1/deals", headers=headers).get_json()
        assert listed["total"] == 0
    assert client.get("/api/v1/deals", headers=tokens["seller"]).get_json()["total"] == 1


def test_messages_and_decline(client, parties, tokens):  # noqa: F811
    deal_id = _open(client, parties, tokens)["id"]
    posted = client.post(f"/api/v1/deals/{deal_id}/messages", json={"body": "자료 보내드립니다"},
                         headers=tokens["seller"])
    assert posted.status_code == 201 and posted.get_json()["author_side"] == "seller"
    declined = client.post(f"/api/v1/deals/{deal_id}/decline", headers=tokens["seller"],
                           json={"reason": "timing"})
    assert declined.get_json()["state"] == "declined"
    again = client.post(f"/api/v1/deals/{deal_id}/messages", json={"body": "..."},
                        headers=tokens["seller"])
    assert again.status_code == 409
