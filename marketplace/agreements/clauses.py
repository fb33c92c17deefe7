"""Clause text: the template's clauses with a draft's values, edits per language with their
redline, and the overrides the renderer takes for edited clauses."""

from __future__ import annotations

import copy

from flask_babel import lazy_gettext as _l

from ..deals.events import digest
from ..documents import VariablesInvalid, render_html
from ..errors import DomainError, NotFound
from ..extensions import db
from . import redline
from .access import lock, require_current, require_draft, require_text_editor
from .drafting import clear_approvals, record_edit
from .library import template_of
from .models import Contract, EditKind

MAX_CLAUSE_TEXT = 20_000


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


def render_draft(contract: Contract, lang: str, overrides: dict | None = None,
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
    return {lang: redline.clauses_of(render_draft(contract, lang), lang) for lang in ("ko", "en")}


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
        current = {lang: redline.clauses_of(render_draft(contract, lang, overrides), lang)
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
    lock(deal, contract)
    require_text_editor(deal, actor)
    require_current(contract)
    require_draft(contract)
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
        record_edit(contract, actor, EditKind.clause, clause_id, before, after, lang)
    contract.overrides = overrides
    db.session.flush()
    clear_approvals(contract, actor)
    deal.record_event("contract_edit", actor, {
        "contract_id": contract.id, "version": contract.version, "clause": clause_id,
        "langs": [lang for lang, *_ in changes],
        "after_digest": digest(overrides.get(clause_id))})
    return len(changes)
