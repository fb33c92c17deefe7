"""Contracts of deals: drafting, clause edits, approvals, PDFs, signatures, new versions.

Every function here takes the deal's row lock first (so two people acting on one contract run
one after the other), checks who is acting, changes rows, writes a DealEvent and flushes. The
caller commits once, or rolls back on a DomainError. Jobs are enqueued here and sent only after
that commit.

Who does what:
- start the draft, fill in missing details, reopen a version: either party or the deal's staff;
- edit clause text and the contract's language: the deal's staff, or the parties when no staff
  member is assigned;
- approve and sign: the parties only (any active member of the side's organisation).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from datetime import UTC
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import jobs
from ..accounts.models import User
from ..clock import utcnow
from ..deals import services as deal_services
from ..deals.events import digest
from ..deals.models import Deal
from ..deals.states import SYSTEM, DealState, Side
from ..deals.terms import text_language
from ..documents import (
    DocumentError,
    VariablesInvalid,
    load_template,
    render_html,
    render_pdf,
)
from ..documents.seal import seal_contract
from ..documents.templates import CONTRACTS_ROOT, ContractTemplate
from ..errors import Conflict, DomainError, NotFound, PermissionDenied
from ..extensions import db
from . import redline, signatories, variables
from .models import (
    Contract,
    ContractApproval,
    ContractEdit,
    ContractFile,
    ContractSignature,
    ContractStatus,
    EditKind,
)

#: How the parties sign (the certificate page words it in the contract's language).
SIGNATURE_METHOD = "password_and_name"


class SignatoryMismatch(DomainError):
    """The name typed at signing is not the signatory's."""

    status = 422
    code = "signatory_mismatch"


MAX_CLAUSE_TEXT = 20_000
MAX_VARIABLE_TEXT = 5_000


# ---- templates ----------------------------------------------------------------------------

def template_upload_dir() -> Path:
    return Path(current_app.config["CONTRACT_TEMPLATE_DIR"])


def template_roots() -> list[Path]:
    """Where contract templates are found: the repository's library, then admins' uploads."""
    roots = [CONTRACTS_ROOT]
    uploads = template_upload_dir()
    if uploads.is_dir():
        roots.append(uploads)
    return roots


def template_of(contract: Contract) -> ContractTemplate:
    """The exact template version the contract was drafted with."""
    return load_template(contract.template_key, contract.template_version,
                         roots=template_roots())


# ---- lookups ------------------------------------------------------------------------------

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


# ---- permissions --------------------------------------------------------------------------

def _require_viewer(deal: Deal, actor) -> None:
    if not deal.can_view(actor):
        raise NotFound(_l("This contract does not exist or is not yours to see."))


def can_fill(deal: Deal, user) -> bool:
    return deal.side_of(user) is not None or deal.is_deal_staff(user)


def can_edit_text(deal: Deal, user) -> bool:
    """Clause text and language: the deal's staff; the parties while no staff is assigned."""
    if deal.is_deal_staff(user):
        return True
    return deal.assigned_staff_id is None and deal.side_of(user) is not None


def _require_fill(deal: Deal, actor) -> None:
    _require_viewer(deal, actor)
    if not can_fill(deal, actor):
        raise PermissionDenied(_l("You are not allowed to change this contract."))


def _require_text_editor(deal: Deal, actor) -> None:
    _require_viewer(deal, actor)
    if not can_edit_text(deal, actor):
        raise PermissionDenied(_l("Clause text is edited by the staff member assigned to "
                                  "this deal."))


def _require_party(deal: Deal, actor) -> Side:
    _require_viewer(deal, actor)
    side = deal.side_of(actor)
    if side is None:
        raise PermissionDenied(_l("Only the two parties approve and sign the contract."))
    return side


def _lock(deal: Deal, contract: Contract | None = None) -> None:
    """The deal's row lock (see `Deal._lock`); then re-read the contract as committed."""
    deal._lock()
    if contract is not None and contract.id is not None:
        db.session.refresh(contract)
        db.session.expire(contract, ["approvals", "signatures", "edits"])


def _require_draft(contract: Contract) -> None:
    if contract.status != ContractStatus.draft:
        raise Conflict(_l("This contract version can no longer be changed. Reopen it to make "
                          "a new version."))


def _require_current(contract: Contract) -> None:
    latest = current_contract(contract.deal)
    if latest is None or latest.id != contract.id:
        raise Conflict(_l("A newer version of this contract exists. Reload the page."))


# ---- drafting -----------------------------------------------------------------------------

def default_language(deal: Deal) -> str:
    """Korean between two Korean organisations, both languages when either is abroad."""
    countries = {deal.buyer.country or "KR", deal.seller.country or "KR"}
    return "ko" if countries == {"KR"} else "bilingual"


def _contract_no(contract: Contract) -> str:
    return f"TTO-{contract.created_at.astimezone(UTC).year}-{contract.id:06d}"


def start_draft(deal: Deal, actor) -> Contract:
    """Start the contract of an agreed deal: pick the template, fill what the Terms say, move
    the deal to drafting."""
    deal._lock()
    if deal.state in (DealState.drafting, DealState.signing):
        raise Conflict(_l("The contract draft has already been started. Reload the page to "
                          "see it."))
    if deal.state != DealState.agreed:
        raise Conflict(_l("A contract is drafted once both sides agreed the same terms."))
    _require_fill(deal, actor)
    key = variables.template_key_for(deal.deal_type)
    template = load_template(key, roots=template_roots())
    terms = deal.current_terms
    named = signatories.defaults(deal, key)
    values = signatories.with_representatives(
        variables.contract_variables(deal, dict(terms.fields), template_key=key), named)
    contract = Contract(
        deal_id=deal.id, version=1, contract_no="pending", status=ContractStatus.draft,
        template_key=template.key, template_version=template.version,
        language=default_language(deal), prevailing_language="ko",
        terms_version=terms.version, variables=values,
        locked=variables.locked_names(key, values), overrides={}, signatories=named,
        created_by_id=actor.id, created_at=utcnow())
    db.session.add(contract)
    db.session.flush()
    contract.contract_no = _contract_no(contract)
    db.session.flush()
    deal.start_drafting(actor, payload={
        "contract_id": contract.id, "contract_no": contract.contract_no, "version": 1,
        "template": template.key, "template_version": template.version,
        "terms_version": terms.version})
    return contract


def missing_variables(contract: Contract) -> dict[str, str]:
    """What stops the draft from rendering, by variable path (empty when complete)."""
    try:
        template_of(contract).validate(contract.variables, langs=contract.langs)
    except VariablesInvalid as exc:
        return dict(exc.fields)
    return {}


def draft_digest(contract: Contract) -> str:
    """What an approval approves: template, language, every variable and clause edit, and
    the signatories (left out when there are none, as on versions from before them)."""
    named = {"signatories": contract.signatories} if contract.signatories else {}
    return digest({"template": contract.template_key, "template_version":
                   contract.template_version, "language": contract.language,
                   "prevailing_language": contract.prevailing_language,
                   "variables": contract.variables, "overrides": contract.overrides, **named})


def _clear_approvals(contract: Contract, actor) -> None:
    active = [a for a in contract.approvals if a.cleared_at is None]
    if not active:
        return
    now = utcnow()
    for approval in active:
        approval.cleared_at = now
    db.session.flush()
    db.session.expire(contract, ["approvals"])
    contract.deal.record_event("contract_approvals_cleared", actor, {
        "contract_id": contract.id, "sides": sorted(a.side.value for a in active)})


def _editor_side(deal: Deal, actor) -> Side | None:
    return None if deal.is_deal_staff(actor) and deal.side_of(actor) is None \
        else deal.side_of(actor)


def _record_edit(contract: Contract, actor, kind: EditKind, target: str, before, after,
                 lang: str | None = None) -> ContractEdit:
    edit = ContractEdit(contract_id=contract.id, kind=kind, target=target, lang=lang,
                        before=before, after=after, user_id=actor.id,
                        side=_editor_side(contract.deal, actor), created_at=utcnow())
    db.session.add(edit)
    return edit


def _as_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _get_path(values: dict, path: str):
    head, _, rest = path.partition(".")
    value = values.get(head)
    if rest:
        return value.get(rest) if isinstance(value, dict) else None
    return value


def _set_path(values: dict, path: str, value) -> None:
    head, _, rest = path.partition(".")
    if rest:
        current = values.get(head) or {}
        if isinstance(current, str):  # a term agreed as plain text before terms had languages
            current = {text_language(current): current}
        inner = dict(current)
        if value is None:
            inner.pop(rest, None)
        else:
            inner[rest] = value
        values[head] = inner
    elif value is None:
        values.pop(head, None)
    else:
        values[head] = value


_BOUND_RE = re.compile(r"^must be at (least|most) (-?\d+)$")


def explain(why: str):
    """A validation message of the documents package, for the person who typed the value."""
    if why == "required":
        return _l("This is required for the contract.")
    bound = _BOUND_RE.match(why)
    if bound and bound.group(1) == "least":
        return _l("Must be at least %(n)s.", n=bound.group(2))
    if bound:
        return _l("Must be at most %(n)s.", n=bound.group(2))
    return _l("This value cannot be used in the contract.")


def editable_paths(contract: Contract) -> list[str]:
    """Variable paths anyone may fill on the draft: everything not from the Terms (a party's
    representative comes from its signatory, see `set_signatory`), and the translation of a
    free-text term agreed in one language (``field_of_use.ko``)."""
    template = template_of(contract)
    terms = contract_terms(contract)
    paths = []
    for name, spec in template.fields.items():
        if spec.type == "party":
            paths += [f"{name}.{key}" for key in ("address", "registration_no")
                      if f"{name}.{key}" not in contract.locked]
        elif name not in contract.locked:
            paths.append(name)
        else:
            paths += [f"{name}.{lang}" for lang in variables.untranslated(name, terms)]
    return paths


def fill_variables(contract: Contract, actor, values: dict[str, Any]) -> list[str]:
    """Set draft variables by path (``court``, ``licensor.address``); None clears one.

    Values that come from the Terms are refused. A value of the wrong type is named; a value
    still missing is fine (the draft just cannot be approved yet). Returns the changed paths.
    """
    deal = contract.deal
    _lock(deal, contract)
    _require_fill(deal, actor)
    _require_current(contract)
    _require_draft(contract)
    allowed = set(editable_paths(contract))
    refused = {path: [_l("This comes from the agreed terms and cannot be changed here.")]
               for path in values if path not in allowed}
    if refused:
        raise DomainError(_l("Some details come from the agreed terms; change them by agreeing "
                             "new terms."), refused)
    updated = copy.deepcopy(contract.variables)
    changed = []
    for path, value in values.items():
        if isinstance(value, str):
            value = value.strip() or None
            if value and len(value) > MAX_VARIABLE_TEXT:
                raise DomainError(_l("This text is too long."),
                                  {path: [_l("Use at most %(n)d characters.",
                                             n=MAX_VARIABLE_TEXT)]})
        if _get_path(updated, path) != value:
            _set_path(updated, path, value)
            changed.append(path)
    if not changed:
        return []
    try:
        template_of(contract).validate(updated)
    except VariablesInvalid as exc:
        wrong = {path: [explain(why)] for path, why in exc.fields.items()
                 if why != "required" and any(path == c or path.startswith(c + ".")
                                              or path.startswith(c + "[") for c in changed)}
        if wrong:
            raise DomainError(_l("Some details are not valid. Check the marked fields."),
                              wrong) from exc
    for path in changed:
        _record_edit(contract, actor, EditKind.variable, path,
                     _as_text(_get_path(contract.variables, path)),
                     _as_text(_get_path(updated, path)))
    contract.variables = updated
    db.session.flush()
    _clear_approvals(contract, actor)
    deal.record_event("contract_variables", actor, {
        "contract_id": contract.id, "version": contract.version, "changed": sorted(changed)})
    return changed


# ---- signatories --------------------------------------------------------------------------

def signatory_of(contract: Contract, party: str) -> dict | None:
    """``{"name", "title"}`` of the person signing for `party`; on versions from before
    signatories, the representative the contract names."""
    named = (contract.signatories or {}).get(party)
    if named is not None:
        return named
    value = (contract.variables.get(party) or {}).get("representative")
    if isinstance(value, dict):  # the organisation's representative, in the contract's language
        first = "en" if contract.language == "en" else "ko"
        value = value.get(first) or value.get("en" if first == "ko" else "ko")
    return {"name": value, "title": None} if value else None


def signatories_of(contract: Contract) -> dict[str, dict | None]:
    """Every party's signatory, in the template's party order."""
    return {party: signatory_of(contract, party) for party in template_of(contract).parties}


def set_signatory(contract: Contract, actor, name: str | None, title: str | None = None
                  ) -> bool:
    """A party's member names who signs for it (name, and a title such as 대표이사). The
    contract prints them as the party's representative. Returns whether anything changed."""
    deal = contract.deal
    _lock(deal, contract)
    _require_viewer(deal, actor)
    side = deal.side_of(actor)
    if side is None:
        raise PermissionDenied(_l("Each party names its own signatory."))
    _require_current(contract)
    _require_draft(contract)
    name, title = signatories.clean(name), signatories.clean(title) or None
    errors = {}
    if not name:
        errors["name"] = [_l("Write the name of the person who signs.")]
    for key, text in (("name", name), ("title", title)):
        if text and len(text) > signatories.MAX_TEXT:
            errors[key] = [_l("Use at most %(n)d characters.", n=signatories.MAX_TEXT)]
    if errors:
        raise DomainError(_l("Check the signatory's name and title."), errors)
    party = variables.party_field(contract.template_key, side)
    new = {"name": name, "title": title}
    before = signatory_of(contract, party)
    if before == new:
        return False
    _record_edit(contract, actor, EditKind.variable, f"{party}.signatory",
                 signatories.describe(before), signatories.describe(new))
    contract.signatories = {**(contract.signatories or {}), party: new}
    contract.variables = signatories.with_representatives(contract.variables, {party: new})
    db.session.flush()
    _clear_approvals(contract, actor)
    deal.record_event("contract_signatory", actor, {
        "contract_id": contract.id, "version": contract.version, "party": party})
    return True


def change_language(contract: Contract, actor, language: str, prevailing: str = "ko") -> bool:
    """The contract's language: ``ko``, ``en`` or ``bilingual`` (which names the prevailing
    language)."""
    deal = contract.deal
    _lock(deal, contract)
    _require_text_editor(deal, actor)
    _require_current(contract)
    _require_draft(contract)
    if language not in ("ko", "en", "bilingual"):
        raise DomainError(_l("Choose a language."), {"language": [_l("Choose a language.")]})
    if prevailing not in ("ko", "en"):
        raise DomainError(_l("Choose the prevailing language."),
                          {"prevailing_language": [_l("Choose the prevailing language.")]})
    if language != "bilingual":
        prevailing = language if language in ("ko", "en") else "ko"
    before = (contract.language, contract.prevailing_language)
    if before == (language, prevailing):
        return False
    _record_edit(contract, actor, EditKind.settings, "language", "/".join(before),
                 f"{language}/{prevailing}")
    contract.language, contract.prevailing_language = language, prevailing
    db.session.flush()
    _clear_approvals(contract, actor)
    deal.record_event("contract_settings", actor, {
        "contract_id": contract.id, "language": language, "prevailing_language": prevailing})
    return True


# ---- clause text and redline --------------------------------------------------------------

def _with_both_languages(value):
    """`value` with each text lacking a language completed from the other, recursively."""
    if isinstance(value, dict) and value and set(value) <= {"ko", "en"}:
        return {lang: value.get(lang) or value.get("ko") or value.get("en")
                for lang in ("ko", "en")}
    if isinstance(value, dict):
        return {key: _with_both_languages(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_both_languages(item) for item in value]
    return value


def _render(contract: Contract, lang: str, overrides: dict | None = None,
            variables_: dict | None = None) -> str:
    """The draft in `lang`; in a language the contract is not written in (the clause editor
    shows both), a text given in one language only stands in for the other."""
    variables_ = variables_ or contract.variables
    if lang not in contract.langs:
        variables_ = _with_both_languages(variables_)
    return render_html(template_of(contract), variables_, lang=lang,
                       overrides=overrides, contract_no=contract.contract_no,
                       contract_version=contract.version,
                       prevailing_language=contract.prevailing_language)


def template_clauses(contract: Contract) -> dict[str, dict[str, dict]]:
    """Per language, the clauses as the template words them with this draft's values.

    Needs every variable; raises `VariablesInvalid` while some are missing.
    """
    return {lang: redline.clauses_of(_render(contract, lang), lang) for lang in ("ko", "en")}


def render_overrides(contract: Contract, defaults: dict | None = None,
                     overrides: dict | None = None) -> dict:
    """The renderer's overrides for a draft: each edited clause in both languages (the other
    language keeps the template's wording). The renderer takes them as literal text."""
    overrides = contract.overrides if overrides is None else overrides
    if not overrides:
        return {}
    defaults = defaults or template_clauses(contract)
    out = {}
    for clause_id, texts in overrides.items():
        out[clause_id] = {lang: texts.get(lang) or defaults[lang][clause_id]["text"]
                          for lang in ("ko", "en")}
    return out


def clause_view(contract: Contract) -> list[dict]:
    """Every clause with its template text, current text per language and a redline where
    edited. Empty while variables are missing."""
    try:
        defaults = template_clauses(contract)
    except VariablesInvalid:
        return []
    current = defaults
    if contract.overrides:
        overrides = contract.render_overrides or render_overrides(contract, defaults)
        current = {lang: redline.clauses_of(_render(contract, lang, overrides), lang)
                   for lang in ("ko", "en")}
    rows = []
    for clause_id in template_of(contract).clause_ids:
        row = {"id": clause_id, "edited": clause_id in contract.overrides, "langs": {}}
        for lang in contract.langs:
            base = defaults[lang].get(clause_id)
            if base is None:
                continue
            now = current[lang][clause_id]
            edited = lang in contract.overrides.get(clause_id, {})
            row["langs"][lang] = {
                "number": now["number"], "title": now["title"], "template": base["text"],
                "text": now["text"], "edited": edited,
                "redline": redline.word_diff(base["text"], now["text"]) if edited else None}
        if row["langs"]:
            rows.append(row)
    return rows


def edit_clause(contract: Contract, actor, clause_id: str, texts: dict[str, str | None]) -> int:
    """Replace a clause's text per language; an empty text (or the template's own wording)
    returns that language to the template. Returns how many languages changed."""
    deal = contract.deal
    _lock(deal, contract)
    _require_text_editor(deal, actor)
    _require_current(contract)
    _require_draft(contract)
    template = template_of(contract)
    if clause_id not in template.clause_ids:
        raise NotFound(_l("This contract has no such clause."))
    try:
        defaults = template_clauses(contract)
    except VariablesInvalid as exc:
        raise DomainError(_l("Fill in the missing details before editing clauses."),
                          exc.fields) from exc
    overrides = copy.deepcopy(contract.overrides)
    entry = dict(overrides.get(clause_id, {}))
    changes = []
    for lang, text in texts.items():
        if lang not in ("ko", "en"):
            continue
        text = redline.normalise(text)
        if len(text) > MAX_CLAUSE_TEXT:
            raise DomainError(_l("This text is too long."),
                              {f"text_{lang}": [_l("Use at most %(n)d characters.",
                                                   n=MAX_CLAUSE_TEXT)]})
        template_text = defaults[lang][clause_id]["text"]
        new = None if not text or text == template_text else text
        old = entry.get(lang)
        if new == old:
            continue
        changes.append((lang, old if old is not None else template_text,
                        new if new is not None else template_text))
        if new is None:
            entry.pop(lang, None)
        else:
            entry[lang] = new
    if not changes:
        return 0
    if entry:
        overrides[clause_id] = entry
    else:
        overrides.pop(clause_id, None)
    for lang, before, after in changes:
        _record_edit(contract, actor, EditKind.clause, clause_id, before, after, lang)
    contract.overrides = overrides
    db.session.flush()
    _clear_approvals(contract, actor)
    deal.record_event("contract_edit", actor, {
        "contract_id": contract.id, "version": contract.version, "clause": clause_id,
        "langs": [lang for lang, *_ in changes],
        "after_digest": digest(overrides.get(clause_id))})
    return len(changes)


# ---- approval and the PDF -----------------------------------------------------------------

def approve(contract: Contract, actor) -> ContractApproval:
    """A party approves the draft as it stands; when both have, the PDF job is queued."""
    deal = contract.deal
    _lock(deal, contract)
    side = _require_party(deal, actor)
    _require_current(contract)
    _require_draft(contract)
    missing = missing_variables(contract)
    if missing:
        raise DomainError(_l("Some details are still missing. Fill them in before approving."),
                          {path: [explain(why)] for path, why in missing.items()})
    if contract.approved_by(side) is not None:
        raise Conflict(_l("Your side has already approved this draft."))
    try:
        full = render_overrides(contract)
        for lang in contract.langs:
            _render(contract, lang, full)
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
        from .jobs import render_contract

        jobs.enqueue(render_contract, contract.id, actor.id)
    return approval


def store_file(pdf: bytes, sha256: str, pages: int) -> ContractFile:
    stored = db.session.get(ContractFile, sha256)
    if stored is None:
        stored = ContractFile(sha256=sha256, data=pdf, size=len(pdf), pages=pages,
                              created_at=utcnow())
        db.session.add(stored)
        db.session.flush()
    return stored


def render_approved(contract_id: int, actor_id: int | None) -> str | None:
    """Render an approved version's PDF, store it and open signing. Idempotent: a version
    already rendered (or replaced meanwhile) is left alone. Returns the PDF's SHA-256."""
    contract = db.session.get(Contract, contract_id)
    if contract is None:
        return None
    deal = contract.deal
    _lock(deal, contract)
    if contract.status != ContractStatus.approved:
        return contract.pdf_sha256
    document = render_pdf(
        template_of(contract), contract.variables, lang=contract.language,
        overrides=contract.render_overrides or {}, contract_no=contract.contract_no,
        contract_version=contract.version, prevailing_language=contract.prevailing_language)
    store_file(document.pdf, document.sha256, document.pages)
    contract.pdf_sha256, contract.pdf_pages = document.sha256, document.pages
    contract.rendered_at = utcnow()
    contract.status = ContractStatus.rendered
    db.session.flush()
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


# ---- signing ------------------------------------------------------------------------------

def sign(contract: Contract, actor, *, password: str, typed_name: str, shown_sha256: str,
         ip: str | None, user_agent: str | None = None) -> ContractSignature:
    """A party signs the PDF whose SHA-256 it was shown, with its password and the name of
    its signatory as the contract writes it (spaces and case aside)."""
    deal = contract.deal
    _lock(deal, contract)
    side = _require_party(deal, actor)
    _require_current(contract)
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
        from .jobs import finalise_contract

        jobs.enqueue(finalise_contract, contract.id)
    return signature


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
    contract = db.session.get(Contract, contract_id)
    if contract is None:
        return None
    deal = contract.deal
    _lock(deal, contract)
    if contract.status != ContractStatus.signing:
        return contract.signed_pdf_sha256
    signatures = contract.active_signatures()
    if {s.side for s in signatures} != {Side.buyer, Side.seller} or any(
            s.document_sha256 != contract.pdf_sha256 for s in signatures):
        return None
    document = render_pdf(
        template_of(contract), contract.variables, lang=contract.language,
        overrides=contract.render_overrides or {}, contract_no=contract.contract_no,
        contract_version=contract.version, prevailing_language=contract.prevailing_language,
        signatures=certificate_entries(contract))
    # What is stored and downloaded is the sealed file; pdf_sha256 stays what the parties signed.
    document = seal_contract(document, current_app.config, contract_no=contract.contract_no)
    store_file(document.pdf, document.sha256, document.pages)
    contract.signed_pdf_sha256 = document.sha256
    contract.signed_at = max(s.signed_at for s in signatures)
    contract.status = ContractStatus.signed
    db.session.flush()
    if deal.state == DealState.signing:
        deal.mark_signed(SYSTEM, {"contract_id": contract.id, "version": contract.version,
                                  "contract_no": contract.contract_no,
                                  "document_sha256": contract.pdf_sha256,
                                  "signed_sha256": document.sha256})
    return document.sha256


# ---- new versions -------------------------------------------------------------------------

def reopen(contract: Contract, actor, reason: str | None = None) -> Contract:
    """Change a version that is final (rendered, or signed by one side): it becomes void, with
    its signatures, and a new draft version starts from its text."""
    deal = contract.deal
    _lock(deal, contract)
    _require_fill(deal, actor)
    _require_current(contract)
    if contract.status == ContractStatus.signed:
        raise Conflict(_l("Both sides signed this contract; it can no longer be changed."))
    if contract.status == ContractStatus.draft:
        raise Conflict(_l("This draft can be changed as it is."))
    if deal.state not in (DealState.drafting, DealState.signing):
        raise Conflict(_l("This is not possible while the deal is “%(state)s”.",
                          state=deal.state_label))
    now = utcnow()
    voided = [s for s in contract.signatures if s.voided_at is None]
    for sig in voided:
        sig.voided_at = now
    contract.status = ContractStatus.void
    contract.voided_at = now
    contract.void_reason = (reason or "").strip()[:2000] or None
    db.session.flush()
    successor = Contract(
        deal_id=deal.id, version=contract.version + 1, contract_no=contract.contract_no,
        status=ContractStatus.draft, template_key=contract.template_key,
        template_version=contract.template_version, language=contract.language,
        prevailing_language=contract.prevailing_language,
        terms_version=contract.terms_version, variables=copy.deepcopy(contract.variables),
        locked=list(contract.locked), overrides=copy.deepcopy(contract.overrides),
        signatories=copy.deepcopy(contract.signatories), created_by_id=actor.id,
        created_at=now)
    db.session.add(successor)
    db.session.flush()
    deal.record_event("contract_reopen", actor, {
        "contract_id": contract.id, "version": contract.version,
        "new_contract_id": successor.id, "new_version": successor.version,
        "voided_signatures": sorted(s.side.value for s in voided),
        "reason": contract.void_reason})
    if deal.state == DealState.signing:
        deal.return_to_drafting(actor, {"contract_id": successor.id,
                                        "version": successor.version})
    return successor


# ---- downloads ----------------------------------------------------------------------------

def pdf_for_download(deal: Deal, contract_id: int, user, signed: bool = False
                     ) -> tuple[Contract, bytes, str]:
    """The stored PDF of a version for someone who may see the deal: (contract, bytes, sha)."""
    _require_viewer(deal, user)
    contract = contract_of_deal_or_404(deal, contract_id)
    sha = contract.signed_pdf_sha256 if signed else contract.pdf_sha256
    if not sha:
        raise NotFound(_l("This PDF does not exist yet."))
    stored = db.session.get(ContractFile, sha)
    if stored is None or hashlib.sha256(stored.data).hexdigest() != sha:
        raise RuntimeError(f"stored contract PDF {sha} is missing or damaged")
    return contract, stored.data, sha

