"""Approving a draft and signing its PDF. When both sides approved, the PDF job is queued;
when both signed, the job that seals the final PDF (`jobs.py`). Jobs are sent only after the
caller's commit."""

from __future__ import annotations

import hashlib

from flask_babel import lazy_gettext as _l

from .. import jobs
from ..clock import utcnow
from ..deals.states import Side
from ..documents import DocumentError
from ..errors import Conflict, DomainError, PermissionDenied
from ..extensions import db
from . import signatories, variables
from .access import lock, require_current, require_draft, require_party
from .clauses import render_draft, render_overrides
from .drafting import draft_digest, explain, missing_variables, signatory_of
from .jobs import finalise_contract, render_contract
from .models import Contract, ContractApproval, ContractSignature, ContractStatus


class SignatoryMismatch(DomainError):
    """The name typed at signing is not the signatory's."""

    status = 422
    code = "signatory_mismatch"


def approve(contract: Contract, actor) -> ContractApproval:
    """A party approves the draft as it stands; when both have, the PDF job is queued."""
    deal = contract.deal
    lock(deal, contract)
    side = require_party(deal, actor)
    require_current(contract)
    require_draft(contract)
    missing = missing_variables(contract)
    if missing:
        raise DomainError(_l("Some details are still missing. Fill them in before approving."),
                          {path: [explain(why)] for path, why in missing.items()})
    if contract.approved_by(side) is not None:
        raise Conflict(_l("Your side has already approved this draft."))
    try:
        full = render_overrides(contract)
        for lang in contract.langs:
            render_draft(contract, lang, full)
    except DocumentError as exc:
        raise DomainError(_l("The draft cannot be rendered: %(why)s", why=exc.message),
                          {k: [v] for k, v in exc.fields.items()}) from exc
    approval = ContractApproval(contract_id=contract.id, side=side, user_id=actor.id,
                                digest=draft_digest(contract), approved_at=utcnow())
    db.session.add(approval)
    db.session.flush()
    db.session.expire(contract, ["approvals"])
    deal.record_event("contract_approve", actor, {
        "contract_id": contract.id, "version": contract.version, "side": side.value,
        "digest": approval.digest})
    sides = {a.side for a in contract.active_approvals() if a.digest == approval.digest}
    if sides == {Side.buyer, Side.seller}:
        contract.status = ContractStatus.approved
        contract.approved_at = utcnow()
        contract.render_overrides = full
        db.session.flush()
        jobs.enqueue(render_contract, contract.id, actor.id)
    return approval


def sign(contract: Contract, actor, *, password: str, typed_name: str, shown_sha256: str,
         ip: str | None, user_agent: str | None = None) -> ContractSignature:
    """A party signs the PDF whose SHA-256 it was shown, with its password and the name of
    its signatory as the contract writes it (spaces and case aside)."""
    deal = contract.deal
    lock(deal, contract)
    side = require_party(deal, actor)
    require_current(contract)
    if contract.status not in (ContractStatus.rendered, ContractStatus.signing):
        raise Conflict(_l("This contract version is not open for signature."))
    if not shown_sha256 or shown_sha256 != contract.pdf_sha256:
        raise Conflict(_l("The contract changed after it was shown to you. Read the current "
                          "version and sign again."),
                       {"document_sha256": [_l("This is not the current document.")]})
    if contract.signature_of(side) is not None:
        raise Conflict(_l("Your side has already signed this contract."))
    if not password or not actor.check_password(password):
        raise PermissionDenied(_l("The password is not correct."),
                               {"password": [_l("The password is not correct.")]})
    typed_name = signatories.clean(typed_name)
    signatory = signatory_of(contract, variables.party_field(contract.template_key, side))
    if signatory is None or not signatories.same_name(typed_name, signatory["name"]):
        expected = signatory["name"] if signatory else ""
        message = _l("The name you typed is not the signatory's. Type %(name)s, as the "
                     "contract writes it.", name=expected)
        raise SignatoryMismatch(message, {"signatory_name": [message]})
    if not ip:
        raise DomainError(_l("The request carries no address to record."))
    org = deal.org_of(side)
    signature = ContractSignature(
        contract_id=contract.id, side=side, user_id=actor.id,
        typed_name=signatory["name"][:100],
        organisation_name=(org.name_ko or org.name_en or "")[:200], email=actor.email,
        document_sha256=contract.pdf_sha256, signed_at=utcnow(), ip=ip[:45],
        user_agent=(user_agent or "")[:400] or None)
    db.session.add(signature)
    contract.status = ContractStatus.signing
    db.session.flush()
    db.session.expire(contract, ["signatures"])
    deal.record_event("contract_sign", actor, {
        "contract_id": contract.id, "version": contract.version, "side": side.value,
        "document_sha256": contract.pdf_sha256, "typed_name": typed_name,
        "user_agent_digest": hashlib.sha256((user_agent or "").encode()).hexdigest()})
    if {s.side for s in contract.active_signatures()} == {Side.buyer, Side.seller}:
        jobs.enqueue(finalise_contract, contract.id)
    return signature
