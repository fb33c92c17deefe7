"""From an agreed deal to a contract both sides signed, through the domain."""

import hashlib

import sqlalchemy as sa

from marketplace import jobs
from marketplace.agreements import access, drafting, signing
from marketplace.agreements.models import Contract, ContractFile, ContractStatus
from marketplace.deals import integrity
from marketplace.deals.states import DealState
from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD

from .conftest import LICENSE_DETAILS, load


def test_draft_approve_render_sign(agreed, parties):
    p = parties
    deal = agreed
    buyer, seller = load(p["buyer"]), load(p["seller"])
    contract = drafting.start_draft(deal, buyer)
    db.session.commit()
    assert deal.state == DealState.drafting
    assert contract.template_key == "license" and contract.template_version == 2
    assert contract.contract_no.startswith("TTO-") and contract.version == 1
    missing = drafting.missing_variables(contract)
    assert "licensor.address" in missing and "effective_date" in missing
    drafting.fill_variables(contract, seller, LICENSE_DETAILS)
    db.session.commit()
    assert drafting.missing_variables(contract) == {}
    signing.approve(contract, buyer)
    signing.approve(contract, seller)
    db.session.commit()
    jobs.flush()
    db.session.refresh(contract)
    assert contract.status == ContractStatus.rendered
    assert deal.state == DealState.signing
    stored = db.session.get(ContractFile, contract.pdf_sha256)
    assert hashlib.sha256(stored.data).hexdigest() == contract.pdf_sha256
    signing.sign(contract, buyer, password=TEST_PASSWORD, typed_name=buyer.display_name,
                 shown_sha256=contract.pdf_sha256, ip="127.0.0.1", user_agent="pytest")
    signing.sign(contract, seller, password=TEST_PASSWORD, typed_name=seller.display_name,
                 shown_sha256=contract.pdf_sha256, ip="127.0.0.1", user_agent="pytest")
    db.session.commit()
    jobs.flush()
    db.session.refresh(contract)
    db.session.refresh(deal)
    assert contract.status == ContractStatus.signed and contract.signed_pdf_sha256
    # signed; the payments module may already have moved it on to payment_pending
    assert deal.state in (DealState.signed, DealState.payment_pending)
    assert "mark_signed" in [e.kind for e in deal.events]
    assert access.signed_contract(deal).id == contract.id
    assert integrity.verify(deal.id).intact
    assert db.session.scalar(sa.select(sa.func.count(Contract.id))) == 1
