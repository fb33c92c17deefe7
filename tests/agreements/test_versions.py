"""Approvals cleared by edits, text frozen at the first signature, new versions, who may do
what, template versions kept by existing contracts."""

import io
import json
import shutil
import zipfile

import pytest
import sqlalchemy as sa

from marketplace import jobs
from marketplace.agreements import clauses, drafting, library, signing
from marketplace.agreements.models import Contract, ContractStatus
from marketplace.deals.states import DealState
from marketplace.documents.templates import CONTRACTS_ROOT
from marketplace.errors import Conflict, DomainError, PermissionDenied
from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD

from .conftest import load, ready_draft, render_draft


def _sign(contract, user, sha=None):
    return signing.sign(contract, user, password=TEST_PASSWORD, typed_name=user.display_name,
                        shown_sha256=sha or contract.pdf_sha256, ip="203.0.113.9",
                        user_agent="pytest")


def test_an_edit_after_an_approval_clears_it(agreed, parties):
    p = parties
    contract = ready_draft(agreed, p)
    signing.approve(contract, load(p["buyer"]))
    db.session.commit()
    assert contract.approved_by(agreed.side_of(load(p["buyer"])))
    clauses.edit_clause(contract, load(p["seller"]), "purpose",
                        {"ko": "본 계약의 목적은 기술 실시이다."})
    db.session.commit()
    assert contract.active_approvals() == []
    assert contract.overrides["purpose"] == {"ko": "본 계약의 목적은 기술 실시이다."}
    kinds = [e.kind for e in agreed.events]
    assert kinds[-2:] == ["contract_approvals_cleared", "contract_edit"]
    edit = contract.edits[-1]
    assert edit.before.startswith("본 계약은 갑이 보유한") and edit.after.endswith("실시이다.")
    # the same text again, or the template's own wording, changes nothing new
    assert clauses.edit_clause(contract, load(p["seller"]), "purpose",
                               {"ko": "본 계약의 목적은 기술 실시이다."}) == 0


def test_terms_values_are_locked_and_bad_values_named(agreed, parties):
    contract = ready_draft(agreed, parties)
    with pytest.raises(DomainError) as info:
        drafting.fill_variables(contract, load(parties["buyer"]),
                                {"upfront_fee": {"amount": 1, "currency": "KRW"}})
    assert "upfront_fee" in info.value.fields
    with pytest.raises(DomainError) as info:
        drafting.fill_variables(contract, load(parties["buyer"]), {"payment_days": 9999})
    assert "payment_days" in info.value.fields


def test_staff_edit_clauses_once_assigned_and_outsiders_cannot(agreed, parties):
    p = parties
    contract = ready_draft(agreed, p)
    agreed.assign_staff(load(p["admin"]), load(p["staff"]))
    db.session.commit()
    with pytest.raises(PermissionDenied):
        clauses.edit_clause(contract, load(p["buyer"]), "purpose", {"ko": "바꾼 문장."})
    db.session.rollback()
    clauses.edit_clause(contract, load(p["staff"]), "purpose", {"ko": "바꾼 문장."})
    db.session.commit()
    assert contract.edits[-1].side is None  # staff
    for who in ("outsider", "other_staff"):
        with pytest.raises(DomainError) as info:
            drafting.fill_variables(contract, load(p[who]), {"payment_days": 10})
        assert info.value.status == 404
        db.session.rollback()
    with pytest.raises(PermissionDenied):
        signing.approve(contract, load(p["staff"]))


def test_text_frozen_at_the_first_signature_and_a_change_is_a_new_version(agreed, parties):
    p = parties
    buyer, seller = load(p["buyer"]), load(p["seller"])
    contract = render_draft(ready_draft(agreed, p), p)
    assert contract.status == ContractStatus.rendered
    _sign(contract, buyer)
    db.session.commit()
    assert contract.status == ContractStatus.signing
    first_sha = contract.pdf_sha256
    for change in (lambda: clauses.edit_clause(contract, seller, "purpose", {"ko": "새 목적"}),
                   lambda: drafting.fill_variables(contract, seller, {"payment_days": 10}),
                   lambda: drafting.change_language(contract, seller, "bilingual", "ko")):
        with pytest.raises(Conflict):
            change()
        db.session.rollback()
    # even a direct write to a rendered version is refused
    contract.variables = {**contract.variables, "payment_days": 10}
    with pytest.raises(Conflict):
        db.session.flush()
    db.session.rollback()
    successor = drafting.reopen(contract, seller, "가격 조건 문구 수정")
    db.session.commit()
    db.session.refresh(contract)
    assert contract.status == ContractStatus.void
    assert all(s.voided_at is not None for s in contract.signatures)
    assert successor.version == 2 and successor.contract_no == contract.contract_no
    assert successor.status == ContractStatus.draft and successor.overrides == contract.overrides
    # the old version cannot be signed any more, even with its hash
    with pytest.raises(Conflict):
        _sign(contract, seller, first_sha)
    db.session.rollback()
    assert agreed.state == DealState.drafting  # the new version is a draft again
    clauses.edit_clause(successor, seller, "purpose", {"ko": "새 목적 조항."})
    render_draft(successor, p)
    assert successor.pdf_sha256 != first_sha
    assert agreed.state == DealState.signing  # the new PDF is sent for signature again
    assert [e.kind for e in agreed.events].count("send_for_signature") == 2
    with pytest.raises(Conflict):  # the hash shown before the change no longer signs
        _sign(successor, seller, first_sha)
    db.session.rollback()
    _sign(successor, buyer)
    _sign(successor, seller)
    db.session.commit()
    jobs.flush()
    db.session.refresh(successor)
    assert successor.status == ContractStatus.signed
    assert db.session.scalar(sa.select(sa.func.count(Contract.id))) == 2


def test_a_new_version_after_the_render_takes_the_deal_back_to_drafting(agreed, parties):
    p = parties
    contract = render_draft(ready_draft(agreed, p), p)
    assert agreed.state == DealState.signing and contract.active_signatures() == []
    successor = drafting.reopen(contract, load(p["buyer"]), "주소 수정")
    db.session.commit()
    assert agreed.state == DealState.drafting
    event = agreed.events[-1]
    assert (event.kind, event.from_state, event.to_state) == (
        "return_to_drafting", DealState.signing, DealState.drafting)
    assert event.payload == {"contract_id": successor.id, "version": 2}
    assert event.actor_user_id == p["buyer"].id


def test_render_job_is_idempotent(agreed, parties):
    from marketplace.agreements.jobs import finalise_contract, render_contract

    contract = render_draft(ready_draft(agreed, parties), parties)
    sha = contract.pdf_sha256
    assert render_contract(contract.id, parties["buyer"].id) == sha
    assert finalise_contract(contract.id) is None  # nothing signed yet
    db.session.commit()
    assert [e.kind for e in agreed.events].count("send_for_signature") == 1


def _template_zip(version_marker: str) -> bytes:
    folder = CONTRACTS_ROOT / "license"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in library.REQUIRED_FILES:
            data = (folder / name).read_text(encoding="utf-8")
            if name == "ko.html":
                data = data.replace("실시권의 허락", f"실시권의 허락{version_marker}")
            archive.writestr(f"license/{name}", data)
    return buffer.getvalue()


@pytest.fixture
def upload_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "CONTRACT_TEMPLATE_DIR", str(tmp_path / "templates"))
    yield tmp_path / "templates"
    shutil.rmtree(tmp_path / "templates", ignore_errors=True)


def test_new_template_version_leaves_existing_contracts_alone(agreed, parties, upload_dir):
    p = parties
    old = ready_draft(agreed, p)
    admin = load(p["admin"])
    with pytest.raises(PermissionDenied):
        library.upload(load(p["staff"]), "license", [("t.zip", _template_zip(" (2판)"))])
    record = library.upload(admin, "license", [("t.zip", _template_zip(" (2판)"))])
    db.session.commit()
    assert record.version == 3  # the next after the shipped v2
    assert (upload_dir / "license" / "v3" / "fields.json").is_file()
    assert json.loads((upload_dir / "license" / "v3" / "fields.json").read_text())["version"] \
        == 3
    assert library.template_of(old).version == 2
    titles = {c["id"]: c["langs"]["ko"]["title"] for c in clauses.clause_view(old)}
    assert titles["grant"] == "실시권의 허락"
    render_draft(old, p)
    assert old.template_version == 2 and old.status == ContractStatus.rendered


def test_template_uploads_are_checked(app, ctx, parties, upload_dir):
    admin = load(parties["admin"])
    folder = CONTRACTS_ROOT / "license"
    files = [(n, (folder / n).read_bytes()) for n in library.REQUIRED_FILES]
    cases = [
        [("evil.sh", b"#!/bin/sh")] + files[1:],
        files[:-1],
        [(n, d.replace(b"{{ territory }}", b"{{ undeclared_thing }}") if n == "ko.html"
          else d) for n, d in files],
        [(n, b"x" * (library.MAX_FILE_BYTES + 1) if n == "style.css" else d)
         for n, d in files],
        [(n, d.replace(b'"key": "license"', b'"key": "transfer"') if n == "fields.json"
          else d) for n, d in files],
        [("t.zip", b"PK\x03\x04 not really a zip")],
    ]
    for uploads in cases:
        with pytest.raises(DomainError) as info:
            library.upload(admin, "license", uploads)
        assert "files" in info.value.fields
    assert not (upload_dir / "license").exists()
    record = library.upload(admin, "license", files)
    assert record.version == 3
