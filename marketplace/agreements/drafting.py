"""Drafting a contract from the agreed Terms: starting the draft, filling in the details the
Terms do not give, naming signatories, choosing the language, and reopening a final version as a
new draft.

Each function takes the deal's row lock, checks who is acting (`access`), changes rows, writes a
DealEvent and flushes; the caller commits once, or rolls back on a DomainError. A change to a
draft clears the approvals given to it.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC
from typing import Any

from flask_babel import lazy_gettext as _l

from ..clock import utcnow
from ..deals.events import digest
from ..deals.models import Deal
from ..deals.states import DealState, Side
from ..deals.terms import text_language
from ..documents import VariablesInvalid, load_template
from ..errors import Conflict, DomainError, PermissionDenied
from ..extensions import db
from . import signatories, variables
from .access import (
    contract_terms,
    lock,
    require_current,
    require_draft,
    require_fill,
    require_text_editor,
    require_viewer,
)
from .library import template_of, template_roots
from .models import Contract, ContractEdit, ContractStatus, EditKind

MAX_VARIABLE_TEXT = 5_000


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
    require_fill(deal, actor)
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


def clear_approvals(contract: Contract, actor) -> None:
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


def record_edit(contract: Contract, actor, kind: EditKind, target: str, before, after,
                lang: str | None = None) -> ContractEdit:
    edit = ContractEdit(contract_id=contract.id, kind=kind, target=target, lang=lang,
                        before=before, after=after, user_id=actor.id,
                        side=_editor_side(contract.deal, actor), created_at=utcnow())
    db.session.add(edit)
    return edit


def as_text(value) -> str | None:
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
    lock(deal, contract)
    require_fill(deal, actor)
    require_current(contract)
    require_draft(contract)
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
        record_edit(contract, actor, EditKind.variable, path,
                    as_text(_get_path(contract.variables, path)),
                    as_text(_get_path(updated, path)))
    contract.variables = updated
    db.session.flush()
    clear_approvals(contract, actor)
    deal.record_event("contract_variables", actor, {
        "contract_id": contract.id, "version": contract.version, "changed": sorted(changed)})
    return changed


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
    lock(deal, contract)
    require_viewer(deal, actor)
    side = deal.side_of(actor)
    if side is None:
        raise PermissionDenied(_l("Each party names its own signatory."))
    require_current(contract)
    require_draft(contract)
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
    record_edit(contract, actor, EditKind.variable, f"{party}.signatory",
                signatories.describe(before), signatories.describe(new))
    contract.signatories = {**(contract.signatories or {}), party: new}
    contract.variables = signatories.with_representatives(contract.variables, {party: new})
    db.session.flush()
    clear_approvals(contract, actor)
    deal.record_event("contract_signatory", actor, {
        "contract_id": contract.id, "version": contract.version, "party": party})
    return True


def change_language(contract: Contract, actor, language: str, prevailing: str = "ko") -> bool:
    """The contract's language: ``ko``, ``en`` or ``bilingual`` (which names the prevailing
    language)."""
    deal = contract.deal
    lock(deal, contract)
    require_text_editor(deal, actor)
    require_current(contract)
    require_draft(contract)
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
    record_edit(contract, actor, EditKind.settings, "language", "/".join(before),
                f"{language}/{prevailing}")
    contract.language, contract.prevailing_language = language, prevailing
    db.session.flush()
    clear_approvals(contract, actor)
    deal.record_event("contract_settings", actor, {
        "contract_id": contract.id, "language": language, "prevailing_language": prevailing})
    return True


def reopen(contract: Contract, actor, reason: str | None = None) -> Contract:
    """Change a version that is final (rendered, or signed by one side): it becomes void, with
    its signatures, and a new draft version starts from its text."""
    deal = contract.deal
    lock(deal, contract)
    require_fill(deal, actor)
    require_current(contract)
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
