"""The contract pages with the test client: the walk, the redline, privacy of the PDF."""

import hashlib
import re

import pytest
import sqlalchemy as sa

from marketplace.agreements import drafting, signing
from marketplace.agreements.models import Contract, ContractEdit, ContractStatus
from marketplace.deals.events import DealEvent
from marketplace.deals.models import Deal
from marketplace.deals.states import DealState
from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD, login

from .conftest import agree, load


@pytest.fixture
def deal_id(app, parties):
    with app.app_context():
        deal = agree(parties)
        db.session.commit()
        return deal.id


def _client(app, user, lang="ko"):
    client = app.test_client()
    login(client, user, lang=lang)
    return client


DETAILS = {
    "v__licensor__address__ko": "대전광역시 유성구 대학로 99",
    "v__licensor__address__en": "99 Daehak-ro, Daejeon",
    "v__licensee__address__ko": "서울특별시 강남구 테헤란로 1",
    "v__licensor__registration_no": "314-81-12345",
    "v__licensee__registration_no": "134-81-67890",
    "v__payment_days": "30",
    "v__effective_date": "2026-03-02",
    "v__sublicensing": "with_consent",
    "v__improvements_owner": "joint",
}


def _form_values(html: str) -> dict:
    """Current values of the details form (text inputs and selects) to post back."""
    values = dict(re.findall(r'<input[^>]*name="(v__[^"]+)"[^>]*value="([^"]*)"', html))
    for name, body in re.findall(r'<select[^>]*name="(v__[^"]+)"[^>]*>(.*?)</select>', html,
                                 re.S):
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected',
                           body)
        values[name] = next((g for g in chosen.groups() if g), "") if chosen else ""
    return values


def test_walk_from_agreed_to_signed(app, parties, deal_id):
    p = parties
    buyer = _client(app, p["buyer"])
    seller = _client(app, p["seller"], lang="en")
    page = buyer.get(f"/ko/deals/{deal_id}")
    assert f"/ko/deals/{deal_id}/contract" in page.get_data(as_text=True)
    assert buyer.post(f"/ko/deals/{deal_id}/contract/start").status_code == 303
    html = buyer.get(f"/ko/deals/{deal_id}/contract").get_data(as_text=True)
    # missing variables are named, not rendered blank
    assert 'data-missing="licensor.address"' in html and 'data-missing="effective_date"' in html
    assert seller.post(f"/en/deals/{deal_id}/contract/approve").status_code == 400
    form = buyer.get(f"/ko/deals/{deal_id}/contract/details")
    assert form.status_code == 200
    data = {**_form_values(form.get_data(as_text=True)), **DETAILS}
    bad = buyer.post(f"/ko/deals/{deal_id}/contract/details",
                     data={**data, "v__payment_days": "abc"})
    assert bad.status_code == 400
    saved = buyer.post(f"/ko/deals/{deal_id}/contract/details", data=data)
    assert saved.status_code == 303, saved.get_data(as_text=True)[-2000:]
    html = buyer.get(f"/ko/deals/{deal_id}/contract").get_data(as_text=True)
    assert "data-missing" not in html and 'data-clause="fees"' in html
    # a clause edit by a party (no staff assigned) shows as a redline to the other side
    clause = buyer.get(f"/ko/deals/{deal_id}/contract/clauses/purpose")
    assert clause.status_code == 200
    assert buyer.post(f"/ko/deals/{deal_id}/contract/clauses/purpose", data={
        "text_ko": "본 계약은 갑의 대상기술을 을이 실시하는 데 필요한 사항을 정한다."
    }).status_code == 303
    other = seller.get(f"/en/deals/{deal_id}/contract").get_data(as_text=True)
    assert "<ins>" in other and "<del>" in other and 'data-edit="clause:purpose"' in other
    assert seller.post(f"/en/deals/{deal_id}/contract/approve").status_code == 303
    assert buyer.post(f"/ko/deals/{deal_id}/contract/approve").status_code == 303
    with app.app_context():
        contract = db.session.scalar(sa.select(Contract))
        assert contract.status == ContractStatus.rendered  # the job ran inline after commit
        sha = contract.pdf_sha256
        assert db.session.get(Deal, deal_id).state == DealState.signing
        assert db.session.scalar(sa.select(sa.func.count(ContractEdit.id))) >= 2
    pdf = buyer.get(f"/ko/deals/{deal_id}/contract/{contract.id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == sha
    again = seller.get(f"/en/deals/{deal_id}/contract/{contract.id}/pdf")
    assert again.data == pdf.data
    # a wrong password, a wrong name or another document's hash is refused
    wrong = buyer.post(f"/ko/deals/{deal_id}/contract/sign", data={
        "document_sha256": sha, "signatory_name": p["buyer"].display_name,
        "password": "nope"})
    assert wrong.status_code == 403
    stale = buyer.post(f"/ko/deals/{deal_id}/contract/sign", data={
        "document_sha256": "0" * 64, "signatory_name": p["buyer"].display_name,
        "password": TEST_PASSWORD})
    assert stale.status_code == 409
    for client, user, lang in ((buyer, p["buyer"], "ko"), (seller, p["seller"], "en")):
        done = client.post(f"/{lang}/deals/{deal_id}/contract/sign", data={
            "document_sha256": sha, "signatory_name": user.display_name,
            "password": TEST_PASSWORD}, headers={"User-Agent": "pytest-agent"})
        assert done.status_code == 303, done.get_data(as_text=True)[-2000:]
    with app.app_context():
        contract = db.session.scalar(sa.select(Contract))
        assert contract.status == ContractStatus.signed
        assert db.session.get(Deal, deal_id).state in (DealState.signed,
                                                       DealState.payment_pending)
        assert {s.user_agent for s in contract.signatures} == {"pytest-agent"}
        kinds = db.session.scalars(sa.select(DealEvent.kind).where(
            DealEvent.deal_id == deal_id).order_by(DealEvent.seq)).all()
    start = kinds.index("start_drafting")
    assert kinds[start:start + 9] == ["start_drafting", "contract_variables", "contract_edit",
                          "contract_approve", "contract_approve", "send_for_signature",
                          "contract_sign", "contract_sign", "mark_signed"]
    final = seller.get(f"/en/deals/{deal_id}/contract/{contract.id}/pdf?signed=1")
    assert hashlib.sha256(final.data).hexdigest() == contract.signed_pdf_sha256


def test_pdf_is_404_for_everyone_else(app, parties, deal_id, make_user):
    p = parties
    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        contract = drafting.start_draft(deal, load(p["buyer"]))
        from .conftest import LICENSE_DETAILS

        drafting.fill_variables(contract, load(p["buyer"]), LICENSE_DETAILS)
        signing.approve(contract, load(p["buyer"]))
        signing.approve(contract, load(p["seller"]))
        db.session.commit()
        from marketplace import jobs

        jobs.flush()
        contract_id = contract.id
        deal.assign_staff(load(p["admin"]), load(p["staff"]))
        db.session.commit()
    url = f"/ko/deals/{deal_id}/contract/{contract_id}/pdf"
    for who in ("outsider", "other_staff", "admin"):  # an admin not assigned to the deal too
        client = _client(app, p[who])
        assert client.get(url).status_code == 404, who
        assert client.get(f"/ko/deals/{deal_id}/contract").status_code == 404, who
    third_org_member = make_user(kind="startup")
    assert _client(app, third_org_member).get(url).status_code == 404
    assert app.test_client().get(url).status_code == 302  # to the sign-in page
    for who in ("buyer", "seller", "staff"):
        assert _client(app, p[who]).get(url).status_code == 200, who
    # unknown contract ids and another deal's contract are 404 too
    assert _client(app, p["buyer"]).get(f"/ko/deals/{deal_id}/contract/999/pdf").status_code \
        == 404


def test_template_page_is_for_admins_and_uploads_a_zip(app, parties, tmp_path):
    import io
    import zipfile

    from marketplace.agreements import library
    from marketplace.documents.templates import CONTRACTS_ROOT

    previous = app.config["CONTRACT_TEMPLATE_DIR"]
    app.config["CONTRACT_TEMPLATE_DIR"] = str(tmp_path / "uploads")
    try:
        for who in ("staff", "buyer"):
            assert _client(app, parties[who]).get("/ko/contracts/templates").status_code == 404
        admin = _client(app, parties["admin"], lang="en")
        page = admin.get("/en/contracts/templates")
        assert page.status_code == 200 and 'data-template="license"' in page.get_data(True)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name in library.REQUIRED_FILES:
                archive.writestr(name, (CONTRACTS_ROOT / "poc" / name).read_bytes())
        sent = admin.post("/en/contracts/templates", data={
            "key": "poc", "files": [(io.BytesIO(buffer.getvalue()), "poc-v2.zip")]},
            content_type="multipart/form-data")
        assert sent.status_code == 303, sent.get_data(True)[-1500:]
        assert (tmp_path / "uploads" / "poc" / "v3" / "ko.html").is_file()  # after the VAT v2
        with app.app_context():
            from marketplace.audit import AuditEntry

            [entry] = db.session.scalars(sa.select(AuditEntry)).all()
            assert (entry.kind, entry.actor_id, entry.details) == (
                "template_uploaded", parties["admin"].id, {"key": "poc", "version": 3})
        wrong = admin.post("/en/contracts/templates", data={
            "key": "poc", "files": [(io.BytesIO(b"<html>"), "ko.html")]},
            content_type="multipart/form-data")
        assert wrong.status_code == 400 and "Files are missing" in wrong.get_data(True)
    finally:
        app.config["CONTRACT_TEMPLATE_DIR"] = previous


def test_signing_password_attempts_are_rate_limited(app, parties, deal_id, monkeypatch):
    """The sign form checks the account password, so guesses are limited like logins."""
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "2 per minute")
    buyer = _client(app, parties["buyer"], "ko")
    guess = {"document_sha256": "0" * 64, "signatory_name": "x", "password": "guess"}
    statuses = [buyer.post(f"/ko/deals/{deal_id}/contract/sign", data=guess).status_code
                for _ in range(3)]
    assert statuses == [404, 404, 429]  # no draft yet: nothing to sign, and then the limit


def test_acting_on_a_contract_before_the_draft_is_404(app, parties, deal_id):
    buyer = _client(app, parties["buyer"], "ko")
    for action in ("approve", "sign", "reopen", "language"):
        assert buyer.post(f"/ko/deals/{deal_id}/contract/{action}").status_code == 404
