"""The signed contract parties download is sealed by the platform; what they signed stays
recorded."""

import hashlib
import os
import subprocess

import sqlalchemy as sa

from marketplace import jobs
from marketplace.agreements import drafting, signing
from marketplace.agreements import jobs as contract_jobs
from marketplace.agreements.models import Contract, ContractFile, ContractStatus
from marketplace.deals.events import DealEvent
from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD, login
from tests.documents.conftest import pdf_pages, requires_poppler

from .conftest import LICENSE_DETAILS, agree, load

pytestmark = requires_poppler


def _signed_in_korean(app, p) -> tuple[int, int]:
    """A licence drafted in Korean and signed by both sides (deal id, contract id)."""
    with app.test_request_context():
        deal = agree(p)
        buyer, seller = load(p["buyer"]), load(p["seller"])
        contract = drafting.start_draft(deal, buyer)
        drafting.fill_variables(contract, seller, LICENSE_DETAILS)
        drafting.change_language(contract, buyer, "ko")
        signing.approve(contract, buyer)
        signing.approve(contract, seller)
        db.session.commit()
        jobs.flush()
        db.session.refresh(contract)
        for user in (buyer, seller):
            signing.sign(contract, user, password=TEST_PASSWORD, typed_name=user.display_name,
                         shown_sha256=contract.pdf_sha256, ip="198.51.100.7")
        db.session.commit()
        jobs.flush()
        return deal.id, contract.id


def test_the_final_pdf_is_sealed_and_the_signed_document_stays_recorded(app, parties,
                                                                          tmp_path):
    deal_id, contract_id = _signed_in_korean(app, parties)
    with app.app_context():
        contract = db.session.get(Contract, contract_id)
        assert contract.status == ContractStatus.signed
        signed_sha, final_sha = contract.pdf_sha256, contract.signed_pdf_sha256
        assert {s.document_sha256 for s in contract.signatures} == {signed_sha}
        assert db.session.get(ContractFile, signed_sha) is not None  # what they signed
        event = db.session.scalar(sa.select(DealEvent).where(
            DealEvent.deal_id == deal_id, DealEvent.kind == "mark_signed"))
        assert event.payload["document_sha256"] == signed_sha
        assert event.payload["signed_sha256"] == final_sha
    client = app.test_client()
    login(client, parties["buyer"])
    response = client.get(f"/ko/deals/{deal_id}/contract/{contract_id}/pdf?signed=1")
    assert response.status_code == 200
    assert hashlib.sha256(response.data).hexdigest() == final_sha != signed_sha
    path = tmp_path / "final.pdf"
    path.write_bytes(response.data)
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True,
                            env={**os.environ, "TZ": "UTC"}).stdout
    assert "Signature Field Name: PlatformSeal" in report
    assert "Total document signed" in report
    assert "Signature Validation: Signature is Valid." in report
    assert "Signing Time:" in report
    certificate = pdf_pages(path)[-1]
    assert "전자서명 확인서" in certificate
    assert certificate.count("계정 비밀번호 확인과 서명자 성명 입력으로 서명함") == 2
    assert certificate.count("(UTC+09:00)") == 2
    assert "password" not in certificate and "Signed at" not in certificate
    assert signed_sha in certificate.replace(" ", "")


def test_an_unusable_seal_leaves_the_contract_waiting_until_it_is_fixed(app, parties, tmp_path,
                                                                        monkeypatch):
    monkeypatch.setitem(app.config, "CONTRACT_SEAL_KEY", str(tmp_path / "missing-key.pem"))
    deal_id, contract_id = _signed_in_korean(app, parties)  # the final job fails
    with app.app_context():
        contract = db.session.get(Contract, contract_id)
        assert contract.status == ContractStatus.signing
        assert contract.signed_pdf_sha256 is None
        assert db.session.scalar(sa.select(sa.func.count(ContractFile.sha256))) == 1
    monkeypatch.undo()
    with app.test_request_context():
        final_sha = contract_jobs.finalise(contract_id)  # what the job's retry does
        db.session.commit()
        contract = db.session.get(Contract, contract_id)
        assert contract.status == ContractStatus.signed
        assert contract.signed_pdf_sha256 == final_sha
        data = db.session.get(ContractFile, final_sha).data
    path = tmp_path / "final.pdf"
    path.write_bytes(data)
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature Validation: Signature is Valid." in report
