"""Each party names its signatory on the draft; the contract prints them and signing asks for
that name (spaces and case aside), with messages that are sentences."""

import re
import shutil
import subprocess

import pytest

from marketplace.agreements import drafting, signing
from marketplace.agreements.models import Contract, ContractStatus
from marketplace.errors import Conflict, DomainError, PermissionDenied
from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD, login

from .conftest import agree, load, ready_draft, render_draft


def test_the_draft_starts_with_whoever_spoke_for_each_side(agreed, parties):
    contract = drafting.start_draft(agreed, load(parties["buyer"]))
    db.session.commit()
    assert contract.signatories == {
        "licensee": {"name": load(parties["buyer"]).display_name, "title": None},
        "licensor": {"name": load(parties["seller"]).display_name, "title": None}}
    assert contract.variables["licensee"]["representative"] == load(parties["buyer"]).display_name


def test_a_party_names_its_signatory_and_the_contract_prints_them(agreed, parties):
    p = parties
    contract = ready_draft(agreed, p)
    signing.approve(contract, load(p["seller"]))
    db.session.commit()
    assert drafting.set_signatory(contract, load(p["buyer"]), "  Minji   Park ", "CEO")
    db.session.commit()
    assert contract.signatories["licensee"] == {"name": "Minji Park", "title": "CEO"}
    assert contract.variables["licensee"]["representative"] == {
        "ko": "CEO Minji Park", "en": "Minji Park, CEO"}
    assert contract.active_approvals() == []  # a change clears the approvals
    assert [e.kind for e in agreed.events][-1] == "contract_signatory"
    edit = contract.edits[-1]
    assert (edit.target, edit.after) == ("licensee.signatory", "Minji Park (CEO)")
    assert drafting.set_signatory(contract, load(p["buyer"]), "Minji Park", "CEO") is False
    # "licensee.representative" is no detail to fill: it is the signatory
    with pytest.raises(DomainError) as info:
        drafting.fill_variables(contract, load(p["buyer"]), {"licensee.representative": "X"})
    assert "licensee.representative" in info.value.fields
    db.session.rollback()


def test_only_the_party_names_its_signatory_and_only_on_a_draft(agreed, parties):
    p = parties
    contract = ready_draft(agreed, p)
    with pytest.raises(DomainError) as info:
        drafting.set_signatory(contract, load(p["buyer"]), "   ", "x" * 101)
    assert set(info.value.fields) == {"name", "title"}
    db.session.rollback()
    agreed.assign_staff(load(p["admin"]), load(p["staff"]))
    db.session.commit()
    for who, error in (("staff", PermissionDenied), ("outsider", DomainError)):
        with pytest.raises(error):
            drafting.set_signatory(contract, load(p[who]), "Someone Else")
        db.session.rollback()
    render_draft(contract, p)
    with pytest.raises(Conflict):  # after the render a change needs a new version
        drafting.set_signatory(contract, load(p["buyer"]), "Minji Park")
    db.session.rollback()
    successor = drafting.reopen(contract, load(p["buyer"]), "서명자 변경")
    drafting.set_signatory(successor, load(p["buyer"]), "Minji Park")
    db.session.commit()
    assert successor.signatories["licensee"]["name"] == "Minji Park"
    assert successor.signatories["licensor"] == contract.signatories["licensor"]


def test_signing_asks_for_the_signatory_name_spaces_and_case_aside(agreed, parties):
    p = parties
    buyer = load(p["buyer"])
    contract = ready_draft(agreed, p)
    drafting.set_signatory(contract, buyer, "Minji Park", "CEO")
    db.session.commit()
    render_draft(contract, p)

    def sign(name):
        return signing.sign(contract, buyer, password=TEST_PASSWORD, typed_name=name,
                            shown_sha256=contract.pdf_sha256, ip="203.0.113.9")

    with pytest.raises(DomainError) as info:
        sign(buyer.display_name)  # the profile's name is not the signatory's
    assert info.value.status == 422 and "signatory_name" in info.value.fields
    assert "Minji Park" in str(info.value.message)
    db.session.rollback()
    signature = sign("minjipark")
    db.session.commit()
    assert signature.typed_name == "Minji Park"  # as the contract writes it


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_signing_on_the_page_with_ones_own_name(app, parties, tmp_path):
    p = parties
    with app.app_context():
        deal = agree(p)
        contract_id = ready_draft(deal, p).id
        deal_id = deal.id
    buyer, seller = app.test_client(), app.test_client()
    login(buyer, p["buyer"], lang="ko")
    login(seller, p["seller"], lang="en")
    page = buyer.get(f"/ko/deals/{deal_id}/contract").get_data(as_text=True)
    assert f'action="/ko/deals/{deal_id}/contract/signatory"' in page
    saved = buyer.post(f"/ko/deals/{deal_id}/contract/signatory",
                       data={"name": "Minji Park", "title": "CEO"})
    assert saved.status_code == 303
    assert seller.post(f"/en/deals/{deal_id}/contract/signatory",
                       data={"name": "Haneul Kim", "title": "대표이사"}).status_code == 303
    empty = seller.post(f"/en/deals/{deal_id}/contract/signatory", data={"name": ""})
    assert empty.status_code == 400
    with app.app_context():
        sha = render_draft(db.session.get(Contract, contract_id), p).pdf_sha256
    html = buyer.get(f"/ko/deals/{deal_id}/contract").get_data(as_text=True)
    assert 'data-signatory="licensee">Minji Park (CEO)' in html
    wrong = buyer.post(f"/ko/deals/{deal_id}/contract/sign", data={
        "document_sha256": sha, "signatory_name": p["buyer"].display_name,
        "password": TEST_PASSWORD})
    assert wrong.status_code == 422
    alert = re.search(r'<div class="alert alert-danger"[^>]*id="contract-error">(.*?)</div>',
                      wrong.get_data(as_text=True), re.S).group(1)
    assert "Minji Park" in alert and "<code>" not in alert
    assert "signatory_name" not in alert and "typed_name" not in alert
    for client, lang, name in ((buyer, "ko", "Minji Park"), (seller, "en", "haneul KIM")):
        done = client.post(f"/{lang}/deals/{deal_id}/contract/sign", data={
            "document_sha256": sha, "signatory_name": name, "password": TEST_PASSWORD})
        assert done.status_code == 303, done.get_data(as_text=True)[-1500:]
    with app.app_context():
        assert db.session.get(Contract, contract_id).status == ContractStatus.signed
    final = buyer.get(f"/ko/deals/{deal_id}/contract/{contract_id}/pdf?signed=1")
    path = tmp_path / "signed.pdf"
    path.write_bytes(final.data)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "CEO Minji Park" in text and "대표이사 Haneul Kim" in text
