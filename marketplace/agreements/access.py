"""Finding a deal's contract versions, and who may do what to them.

Every change to a contract first takes the deal's row lock (`lock`), so two people acting on one
contract run one after the other, then checks who is acting:
- start the draft, fill in missing details, reopen a version: either party or the deal's staff;
- edit clause text and the contract's language: the deal's staff, or the parties when no staff
  member is assigned;
- approve and sign: the parties only (any active member of the side's organisation).
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..deals import services as deal_services
from ..deals.models import Deal
from ..deals.states import Side
from ..errors import Conflict, NotFound, PermissionDenied
from ..extensions import db
from .models import Contract, ContractFile, ContractStatus


def deal_for_viewer_or_404(deal_id: int, user) -> Deal:
    return deal_services.deal_for_viewer_or_404(deal_id, user)


def contracts_of(deal: Deal) -> list[Contract]:
    return db.session.scalars(sa.select(Contract).where(Contract.deal_id == deal.id)
                              .order_by(Contract.version)).all()


def current_contract(deal: Deal) -> Contract | None:
    """The deal's latest contract version (None before drafting started)."""
    return db.session.scalar(sa.select(Contract).where(Contract.deal_id == deal.id)
                             .order_by(Contract.version.desc()).limit(1))


def contract_of_deal_or_404(deal: Deal, contract_id: int) -> Contract:
    contract = db.session.scalar(sa.select(Contract).where(Contract.id == contract_id,
                                                           Contract.deal_id == deal.id))
    if contract is None:
        raise NotFound(_l("This contract does not exist or is not yours to see."))
    return contract


def signed_contract(deal: Deal) -> Contract | None:
    """The contract version both sides signed (what the payments module charges for)."""
    return db.session.scalar(sa.select(Contract).where(
        Contract.deal_id == deal.id, Contract.status == ContractStatus.signed)
        .order_by(Contract.version.desc()).limit(1))


def contract_terms(contract: Contract) -> dict:
    """The agreed Terms fields the contract was drafted from (money in minor units, with
    ``currency``), as the deals module stores them."""
    terms = contract.deal.terms(contract.terms_version)
    return dict(terms.fields) if terms is not None else {}


def require_viewer(deal: Deal, actor) -> None:
    if not deal.can_view(actor):
        raise NotFound(_l("This contract does not exist or is not yours to see."))


def can_fill(deal: Deal, user) -> bool:
    return deal.side_of(user) is not None or deal.is_deal_staff(user)


def can_edit_text(deal: Deal, user) -> bool:
    """Clause text and language: the deal's staff; the parties while no staff is assigned."""
    if deal.is_deal_staff(user):
        return True
    return deal.assigned_staff_id is None and deal.side_of(user) is not None


def require_fill(deal: Deal, actor) -> None:
    require_viewer(deal, actor)
    if not can_fill(deal, actor):
        raise PermissionDenied(_l("You are not allowed to change this contract."))


def require_text_editor(deal: Deal, actor) -> None:
    require_viewer(deal, actor)
    if not can_edit_text(deal, actor):
        raise PermissionDenied(_l("Clause text is edited by the staff member assigned to "
                                  "this deal."))


def require_party(deal: Deal, actor) -> Side:
    require_viewer(deal, actor)
    side = deal.side_of(actor)
    if side is None:
        raise PermissionDenied(_l("Only the two parties approve and sign the contract."))
    return side


def lock(deal: Deal, contract: Contract | None = None) -> None:
    """The deal's row lock (see `Deal._lock`); then re-read the contract as committed."""
    deal._lock()
    if contract is not None and contract.id is not None:
        db.session.refresh(contract)
        db.session.expire(contract, ["approvals", "signatures", "edits"])


def require_draft(contract: Contract) -> None:
    if contract.status != ContractStatus.draft:
        raise Conflict(_l("This contract version can no longer be changed. Reopen it to make "
                          "a new version."))


def require_current(contract: Contract) -> None:
    latest = current_contract(contract.deal)
    if latest is None or latest.id != contract.id:
        raise Conflict(_l("A newer version of this contract exists. Reload the page."))


def pdf_for_download(deal: Deal, contract_id: int, user, signed: bool = False
                     ) -> tuple[Contract, bytes, str]:
    """The stored PDF of a version for someone who may see the deal: (contract, bytes, sha)."""
    require_viewer(deal, user)
    contract = contract_of_deal_or_404(deal, contract_id)
    sha = contract.signed_pdf_sha256 if signed else contract.pdf_sha256
    if not sha:
        raise NotFound(_l("This PDF does not exist yet."))
    stored = db.session.get(ContractFile, sha)
    if stored is None or hashlib.sha256(stored.data).hexdigest() != sha:
        raise RuntimeError(f"stored contract PDF {sha} is missing or damaged")
    return contract, stored.data, sha
