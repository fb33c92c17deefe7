"""Contract PDFs, rendered by jobs on the ``documents`` queue (0.2-1 s each, CPU-bound): the
approved version's PDF that opens signing, and the final sealed PDF with the signature
certificate.

Both receive ids and are idempotent: a version already rendered, signed or replaced is left
alone, and the same inputs always give the same bytes and SHA-256.
"""

from __future__ import annotations

from datetime import UTC

from flask import current_app

from .. import jobs
from ..accounts.models import User
from ..clock import utcnow
from ..deals.states import SYSTEM, DealState, Side
from ..documents import render_pdf
from ..documents.seal import seal_contract
from ..extensions import db
from . import variables
from .access import lock
from .library import template_of
from .models import Contract, ContractFile, ContractStatus

#: How the parties sign (the certificate page words it in the contract's language).
SIGNATURE_METHOD = "password_and_name"


def _locked(contract_id: int) -> Contract | None:
    """The contract, its deal and itself locked for this transaction (None: it is gone)."""
    contract = db.session.get(Contract, contract_id)
    if contract is not None:
        lock(contract.deal, contract)
    return contract


def _render(contract: Contract, **options):
    """The contract's PDF as its version says: language, clause edits, number."""
    return render_pdf(
        template_of(contract), contract.variables, lang=contract.language,
        overrides=contract.render_overrides or {}, contract_no=contract.contract_no,
        contract_version=contract.version, prevailing_language=contract.prevailing_language,
        **options)


def render_approved(contract_id: int, actor_id: int | None) -> str | None:
    """Render an approved version's PDF, store it and open signing. Idempotent: a version
    already rendered (or replaced meanwhile) is left alone. Returns the PDF's SHA-256."""
    contract = _locked(contract_id)
    if contract is None:
        return None
    if contract.status != ContractStatus.approved:
        return contract.pdf_sha256
    document = _render(contract)
    ContractFile.store(document.pdf, document.sha256, document.pages)
    contract.pdf_sha256, contract.pdf_pages = document.sha256, document.pages
    contract.rendered_at = utcnow()
    contract.status = ContractStatus.rendered
    db.session.flush()
    deal = contract.deal
    actor = db.session.get(User, actor_id) if actor_id else None
    payload = {"contract_id": contract.id, "version": contract.version,
               "contract_no": contract.contract_no, "sha256": document.sha256,
               "pages": document.pages}
    if deal.state == DealState.drafting and actor is not None \
            and "send_for_signature" in deal.allowed_actions(actor):
        deal.send_for_signature(actor, payload)
    else:
        # The approver lost access meanwhile: record it as the platform.
        deal.record_event("contract_rendered", SYSTEM, payload)
    return document.sha256


def certificate_entries(contract: Contract) -> list[dict]:
    """The signatures as the certificate page lists them (buyer and seller in party order)."""
    template = template_of(contract)
    by_side = {s.side: s for s in contract.active_signatures()}
    entries = []
    for party in template.parties:
        side = variables.side_of_party(contract.template_key, party)
        sig = by_side.get(side)
        if sig is None:
            continue
        entries.append({"name": sig.typed_name, "organisation": sig.organisation_name,
                        "email": sig.email, "party": party, "method": SIGNATURE_METHOD,
                        "signed_at": sig.signed_at.astimezone(UTC).isoformat(),
                        "ip": sig.ip, "document_sha256": sig.document_sha256})
    return entries


def finalise(contract_id: int) -> str | None:
    """Both sides signed: render the final PDF with the signature certificate, seal it, store
    it, move the deal to signed. Idempotent. Returns the final PDF's SHA-256."""
    contract = _locked(contract_id)
    if contract is None:
        return None
    if contract.status != ContractStatus.signing:
        return contract.signed_pdf_sha256
    signatures = contract.active_signatures()
    if {s.side for s in signatures} != {Side.buyer, Side.seller} or any(
            s.document_sha256 != contract.pdf_sha256 for s in signatures):
        return None
    document = _render(contract, signatures=certificate_entries(contract))
    # What is stored and downloaded is the sealed file; pdf_sha256 stays what the parties signed.
    document = seal_contract(document, current_app.config, contract_no=contract.contract_no)
    ContractFile.store(document.pdf, document.sha256, document.pages)
    contract.signed_pdf_sha256 = document.sha256
    contract.signed_at = max(s.signed_at for s in signatures)
    contract.status = ContractStatus.signed
    db.session.flush()
    deal = contract.deal
    if deal.state == DealState.signing:
        deal.mark_signed(SYSTEM, {"contract_id": contract.id, "version": contract.version,
                                  "contract_no": contract.contract_no,
                                  "document_sha256": contract.pdf_sha256,
                                  "signed_sha256": document.sha256})
    return document.sha256


@jobs.job(queue="documents", timeout=300, retries=3)
def render_contract(contract_id: int, actor_id: int | None = None) -> str | None:
    """Render an approved contract version, store the PDF and open it for signature."""
    return render_approved(contract_id, actor_id)


@jobs.job(queue="documents", timeout=300, retries=3)
def finalise_contract(contract_id: int) -> str | None:
    """Render the signed PDF with its signature certificate and mark the deal signed."""
    return finalise(contract_id)
