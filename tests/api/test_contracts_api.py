"""/api/v1/deals/{id}/contract: from agreed terms to the signed PDF with tokens only, with the
pages' rules and errors."""

import hashlib
import shutil
import subprocess

import pytest

from marketplace.extensions import db
from tests.agreements.conftest import agree
from tests.conftest import TEST_PASSWORD
from tests.deals.conftest import parties  # noqa: F401  (fixture)


@pytest.fixture
def deal_id(app, parties):  # noqa: F811
    with app.app_context():
        deal = agree(parties)
        db.session.commit()
        return deal.id


#: What the licence draft lacks, nested as in contracts/license/sample.json.
DETAILS = {
    "licensor": {"address": {"ko": "대전광역시 유성구 대학로 99", "en": "99 Daehak-ro, Daejeon"},
                 "registration_no": "314-81-12345"},
    "licensee": {"address": "서울특별시 강남구 테헤란로 1", "registration_no": "134-81-67890"},
    "payment_days": 30,
    "effective_date": "2026-03-02",
    "sublicensing": "with_consent",
    "improvements_owner": "joint",
}


def _url(deal_id, tail=""):
    return f"/api/v1/deals/{deal_id}/contract{tail}"


def _pdftotext(data: bytes, tmp_path) -> str:
    path = tmp_path / "contract.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_from_agreed_terms_to_the_signed_pdf(client, deal_id, tokens, tmp_path):
    buyer, seller = tokens["buyer"], tokens["seller"]
    assert client.get(_url(deal_id), headers=buyer).status_code == 404  # no draft yet
    started = client.post(_url(deal_id), headers=buyer)
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    assert (body["status"], body["version"], body["template"]) == ("draft", 1, "license")
    assert body["your_party"] == "licensee" and body["sha256"] is None
    assert set(body["signatories"]) == {"licensor", "licensee"}
    missing = {m["key"]: m["label"] for m in body["missing"]}
    assert missing["licensor.address"] == "실시허락자(갑): 주소"  # the buyer reads Korean
    en = client.get(_url(deal_id), headers={**buyer, "Accept-Language": "en"}).get_json()
    assert {m["key"]: m["label"] for m in en["missing"]}["licensor.address"] == \
        "Licensor: Address"
    assert client.post(_url(deal_id), headers=seller).status_code == 409  # started already

    patched = client.patch(_url(deal_id), headers=buyer, json={
        "variables": DETAILS, "signatory": {"name": "Minji Park", "title": "CEO"}})
    assert patched.status_code == 200, patched.get_json()
    body = patched.get_json()
    assert body["missing"] == []
    assert body["variables"]["licensor"]["address"]["en"] == "99 Daehak-ro, Daejeon"
    assert body["signatories"]["licensee"] == {"name": "Minji Park", "title": "CEO"}
    named = client.patch(_url(deal_id), headers=seller, json={
        "signatory": {"name": "김하늘", "title": "대표이사"}, "language": "bilingual"})
    assert named.get_json()["signatories"]["licensor"] == {"name": "김하늘", "title": "대표이사"}
    assert named.get_json()["your_party"] == "licensor"

    first = client.post(_url(deal_id, "/approve"), headers=seller)
    assert first.status_code == 200 and first.get_json()["status"] == "draft"
    assert [a["party"] for a in first.get_json()["approvals"]] == ["licensor"]
    assert client.post(_url(deal_id, "/approve"), headers=seller).status_code == 409
    second = client.post(_url(deal_id, "/approve"), headers=buyer)
    assert second.status_code == 200
    body = client.get(_url(deal_id), headers=seller).get_json()
    assert body["status"] == "rendered" and len(body["sha256"]) == 64
    sha = body["sha256"]
    pdf = client.get(_url(deal_id, "/pdf"), headers=buyer)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == sha
    # a change now needs a new version
    assert client.patch(_url(deal_id), headers=buyer,
                        json={"variables": {"payment_days": 10}}).status_code == 409

    for headers, name in ((buyer, "minji park"), (seller, "김 하늘")):
        signed = client.post(_url(deal_id, "/sign"), headers=headers, json={
            "signatory_name": name, "password": TEST_PASSWORD, "sha256": sha})
        assert signed.status_code == 200, signed.get_json()
    body = client.get(_url(deal_id), headers=buyer).get_json()
    assert body["status"] == "signed" and body["signed_sha256"]
    assert {s["party"]: s["name"] for s in body["signatures"]} == {
        "licensee": "Minji Park", "licensor": "김하늘"}
    final = client.get(_url(deal_id, "/pdf"), headers=seller)
    assert hashlib.sha256(final.data).hexdigest() == body["signed_sha256"] != sha
    text = _pdftotext(final.data, tmp_path)
    assert "CEO Minji Park" in text and "대표이사 김하늘" in text and "Minji Park, CEO" in text
    sealed = tmp_path / "final.pdf"
    sealed.write_bytes(final.data)
    report = subprocess.run(["pdfsig", str(sealed)], capture_output=True, text=True).stdout
    assert "Total document signed" in report  # sealed by the platform
    assert "Signature Validation: Signature is Valid." in report
    deal = client.get(f"/api/v1/deals/{deal_id}", headers=buyer).get_json()
    assert deal["state"] in ("signed", "payment_pending")


def _rendered(client, deal_id, tokens) -> str:
    client.post(_url(deal_id), headers=tokens["buyer"])
    client.patch(_url(deal_id), headers=tokens["buyer"], json={
        "variables": DETAILS, "signatory": {"name": "Minji Park"}})
    for who in ("buyer", "seller"):
        assert client.post(_url(deal_id, "/approve"), headers=tokens[who]).status_code == 200
    return client.get(_url(deal_id), headers=tokens["buyer"]).get_json()["sha256"]


def test_signing_errors_are_sentences_with_the_right_status(client, deal_id, tokens):
    sha = _rendered(client, deal_id, tokens)
    buyer = {**tokens["buyer"], "Accept-Language": "en"}

    def sign(**changes):
        body = {"signatory_name": "Minji Park", "password": TEST_PASSWORD, "sha256": sha}
        return client.post(_url(deal_id, "/sign"), headers=buyer, json={**body, **changes})

    wrong_password = sign(password="not-the-password")
    assert wrong_password.status_code == 403
    assert wrong_password.get_json()["error"]["message"] == "The password is not correct."
    wrong_name = sign(signatory_name="Buyer Person")
    assert wrong_name.status_code == 422
    error = wrong_name.get_json()["error"]
    assert error["code"] == "signatory_mismatch" and "signatory_name" in error["fields"]
    assert "Minji Park" in error["message"] and "typed_name" not in error["message"]
    stale = sign(sha256="0" * 64)
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "conflict"
    bad = sign(sha256="not a hash")
    assert bad.status_code == 422 and "sha256" in bad.get_json()["error"]["fields"]
    assert client.get(_url(deal_id), headers=buyer).get_json()["signatures"] == []


def test_bad_changes_are_named_and_leave_nothing_half_written(client, deal_id, tokens):
    buyer = {**tokens["buyer"], "Accept-Language": "en"}
    client.post(_url(deal_id), headers=buyer)
    before = client.get(_url(deal_id), headers=buyer).get_json()
    refused = client.patch(_url(deal_id), headers=buyer, json={
        "signatory": {"name": "Minji Park"},
        "variables": {"payment_days": 30, "licensee": {"name": "Other Co."}}})
    assert refused.status_code == 400
    assert "licensee.name" in refused.get_json()["error"]["fields"]
    unknown = client.patch(_url(deal_id), headers=buyer, json={"variables": {"nope": 1}})
    assert unknown.status_code == 400 and "nope" in unknown.get_json()["error"]["fields"]
    wrong_type = client.patch(_url(deal_id), headers=buyer,
                              json={"variables": {"payment_days": "thirty"}})
    assert wrong_type.status_code == 400
    assert "payment_days" in wrong_type.get_json()["error"]["fields"]
    blank = client.patch(_url(deal_id), headers=buyer, json={"signatory": {"name": " "}})
    assert blank.status_code == 422
    after = client.get(_url(deal_id), headers=buyer).get_json()
    assert after == before


def test_a_change_is_all_or_nothing(app, client, deal_id, tokens, parties):  # noqa: F811
    from marketplace.deals.models import Deal
    from tests.deals.conftest import load

    buyer = {**tokens["buyer"], "Accept-Language": "en"}
    client.post(_url(deal_id), headers=buyer)
    with app.app_context():  # with staff assigned, the language is theirs to change
        db.session.get(Deal, deal_id).assign_staff(load(parties["admin"]), load(parties["staff"]))
        db.session.commit()
    before = client.get(_url(deal_id), headers=buyer).get_json()
    refused = client.patch(_url(deal_id), headers=buyer, json={
        "variables": {"payment_days": 30}, "language": "en"})
    assert refused.status_code == 403
    assert client.get(_url(deal_id), headers=buyer).get_json() == before
    # the assigned staff fill in details but name no signatory: each party names its own
    staff = client.patch(_url(deal_id), headers=tokens["staff"],
                         json={"signatory": {"name": "Staff"}})
    assert staff.status_code == 403
    assert client.patch(_url(deal_id), headers=tokens["staff"], json={
        "variables": {"payment_days": 45}}).get_json()["variables"]["payment_days"] == 45


def test_outsiders_get_404_everywhere(client, deal_id, tokens):
    client.post(_url(deal_id), headers=tokens["buyer"])
    for who in ("outsider", "staff"):
        headers = tokens[who]
        for method, tail, body in [
            ("get", "", None), ("post", "", None), ("patch", "", {"language": "en"}),
            ("post", "/approve", None),
            ("post", "/sign", {"signatory_name": "x", "password": "x", "sha256": "0" * 64}),
            ("get", "/pdf", None),
        ]:
            response = getattr(client, method)(_url(deal_id, tail), headers=headers, json=body)
            assert response.status_code == 404, (who, method, tail)
            assert response.get_json()["error"]["code"] == "not_found"
    assert client.get(_url(deal_id)).status_code == 401


def test_one_side_signing_three_times_at_once_signs_once(app, client, deal_id, tokens, parties,  # noqa: F811
                                                         monkeypatch):
    from tests.deals.test_races import _api_posts, _events, _race, _statuses

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("concurrent requests are served by PostgreSQL")
    sha = _rendered(client, deal_id, tokens)
    body = {"signatory_name": "Minji Park", "password": TEST_PASSWORD, "sha256": sha}
    responses = _race(monkeypatch, _api_posts(app, parties["buyer"],
                                              _url(deal_id, "/sign"), 3, body))
    assert _statuses(responses) == [200, 409, 409], responses
    assert all(r.get_json()["error"]["code"] == "conflict"
               for r in responses if r.status_code == 409)
    assert _events(app, deal_id, "contract_sign") == 1


def test_a_term_agreed_in_english_takes_its_korean_text_through_the_api(app, client, parties,  # noqa: F811
                                                                        tokens):
    """As on the draft page: a free-text term agreed only in English is translated on a
    Korean contract's draft, given by language as in sample.json."""
    from tests.agreements.test_contract_languages import BILINGUAL_TERMS

    with app.app_context():
        deal = agree(parties, terms={**BILINGUAL_TERMS["license"],
                                     "field_of_use": "Industrial drone battery packs"})
        db.session.commit()
        deal_id = deal.id
    buyer = {**tokens["buyer"], "Accept-Language": "en"}
    assert client.post(_url(deal_id), headers=buyer).status_code == 201
    client.patch(_url(deal_id), headers=buyer, json={"language": "ko"})
    before = client.get(_url(deal_id), headers=buyer).get_json()
    assert "field_of_use.ko" in [m["key"] for m in before["missing"]]
    changed = client.patch(_url(deal_id), headers=buyer, json={
        "variables": {"field_of_use": {"ko": "산업용 드론 배터리 팩"}}})
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert body["variables"]["field_of_use"] == {"en": "Industrial drone battery packs",
                                                 "ko": "산업용 드론 배터리 팩"}
    assert "field_of_use.ko" not in [m["key"] for m in body["missing"]]
    refused = client.patch(_url(deal_id), headers=buyer, json={
        "variables": {"field_of_use": {"en": "Something else"}}})  # the agreed text stays
    assert refused.status_code in (400, 409, 422) and refused.get_json()["error"]["fields"]
