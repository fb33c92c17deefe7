"""Contract pages. Thin: parse the input, call `services`, commit once here; a DomainError rolls
back and shows its message (with its status). Every page first finds the deal through
`deal_for_viewer_or_404`, so anyone who is not a party, the deal's staff or an admin gets 404."""

from __future__ import annotations

import io
from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import audit
from ..actions import done, run_action
from ..deals.states import AGREED_STATES, DealState, Side
from ..documents import VariablesInvalid
from ..errors import DomainError
from ..extensions import db, limiter
from ..forms import apply_domain_error, choices
from ..security import password_attempt_limit
from . import access, clauses, drafting, forms, library, nda, presenting, review, signing, variables
from .models import LANGUAGE_LABELS, ContractStatus, EditKind
from .redline import word_diff

bp = Blueprint("agreements", __name__, template_folder="templates",
               url_prefix="/<lang:lang_code>/deals")
admin_bp = Blueprint("contract_templates", __name__, template_folder="templates",
                     url_prefix="/<lang:lang_code>/contracts")


def _lang() -> str:
    return "en" if str(get_locale() or "ko") == "en" else "ko"


def _deal(deal_id: int):
    return access.deal_for_viewer_or_404(deal_id, current_user)


def _page_url(deal_id: int, anchor: str | None = None) -> str:
    return url_for("agreements.contract", deal_id=deal_id, _anchor=anchor)


def _current(deal):
    contract = access.current_contract(deal)
    if contract is None:
        abort(404)
    return contract


def _act(deal_id: int, action, success: str | None = None, anchor: str | None = None,
         needs_contract: bool = True):
    """Run `action(deal, contract)`, commit, flash `success` (by default the message `action`
    returns); on a DomainError show the page again.

    Acting on the contract before a draft exists is a 404, like reading it."""
    deal = _deal(deal_id)
    contract = _current(deal) if needs_contract else access.current_contract(deal)
    url = _page_url(deal_id, anchor)
    return run_action(lambda: action(deal, contract),
                      on_success=lambda message: done(success or message, url)(message),
                      on_error=lambda exc: (_render_contract(deal_id, error=exc), exc.status))


def contract_action(rule: str, form, anchor: str | None = None, limit=None):
    """A signed-in POST page at `rule` running the decorated `action(contract, form)` on the
    deal's current contract through `_act`; the action returns what to flash once it is
    committed. `limit`: a rate limit on the page (for a password)."""
    def register(action):
        @wraps(action)
        def view(deal_id):
            posted = form()
            posted.validate_on_submit()
            return _act(deal_id, lambda _deal, contract: action(contract, posted), anchor=anchor)

        view = login_required(view)
        if limit is not None:
            view = limiter.limit(limit, methods=["POST"])(view)
        return bp.route(rule, methods=["POST"])(view)
    return register


def _details_rows(template, contract, lang: str) -> list[dict]:
    missing = drafting.missing_variables(contract)
    rows = []
    for name, spec in template.fields.items():
        missing_here = sorted(p for p in missing if p == name or p.startswith(name + ".")
                              or p.startswith(name + "["))
        locked = name in contract.locked or (spec.type == "party")
        rows.append({"name": name, "label": spec.label.get(lang, name),
                     "value": presenting.display_value(spec, contract.variables.get(name), lang),
                     "missing": missing_here, "required": spec.required,
                     "locked": locked and name in contract.locked})
    return rows


# ---- the contract page --------------------------------------------------------------------

def _render_contract(deal_id: int, error: DomainError | None = None):
    deal = _deal(deal_id)
    lang = _lang()
    contract = access.current_contract(deal)
    side = deal.side_of(current_user)
    context = {
        "deal": deal, "contract": contract, "viewer_side": side, "Side": Side,
        "error": error, "action_form": forms.ActionForm(),
        "can_start": deal.state == DealState.agreed and access.can_fill(deal, current_user),
        "agreed_states": AGREED_STATES, "Status": ContractStatus,
    }
    if contract is None:
        return render_template("agreements/contract.html", **context)
    template = library.template_of(contract)
    missing = drafting.missing_variables(contract)
    language_form = forms.LanguageForm(language=contract.language,
                                 prevailing_language=contract.prevailing_language)
    sign_form = forms.SignForm(document_sha256=contract.pdf_sha256)
    named = drafting.signatories_of(contract)
    own_party = variables.party_field(contract.template_key, side) if side else None
    mine = named.get(own_party) or {}
    signatory_form = forms.SignatoryForm(name=mine.get("name"), title=mine.get("title"))
    if error is not None and error.fields:
        apply_domain_error(sign_form, error)
        if {"name", "title"} & set(error.fields):
            apply_domain_error(signatory_form, error)
        context["error_rows"] = _error_rows(error, template, lang,
                                            (sign_form, language_form))
    context.update(
        template=template, missing=forms.missing_labels(template, missing, lang),
        details=_details_rows(template, contract, lang),
        clauses=clauses.clause_view(contract) if not missing else [],
        edits=_edit_rows(contract, template, lang), language_form=language_form,
        sign_form=sign_form,
        signatories=[(party, template.fields[party].label.get(lang, party), who)
                     for party, who in named.items()],
        own_party=own_party, signatory_form=signatory_form,
        can_name_signatory=side is not None and contract.is_draft,
        reopen_form=forms.ReopenForm(), versions=access.contracts_of(deal),
        review_request_form=forms.ReviewRequestForm(), review_form=forms.ReviewForm(),
        can_ask_review=side is not None and contract.status in review.REVIEWABLE
        and not contract.review_pending,
        can_review=contract.review_pending and deal.assigned_staff_id == current_user.id,
        can_fill=access.can_fill(deal, current_user) and contract.is_draft,
        can_edit_text=access.can_edit_text(deal, current_user) and contract.is_draft,
        can_approve=contract.turn_of(side) == "approve_contract" and not missing,
        can_sign=contract.turn_of(side) == "sign_contract",
        can_reopen=access.can_fill(deal, current_user) and contract.status in (
            ContractStatus.approved, ContractStatus.rendered, ContractStatus.signing),
    )
    return render_template("agreements/contract.html", **context)


def _error_rows(error: DomainError, template, lang: str, shown) -> list[tuple[str, str]]:
    """A domain error's field messages, each under the label of its field or variable."""
    rows = []
    for name, messages in error.fields.items():
        field = next((form[name] for form in shown if name in form), None)
        if field is not None:
            label = str(field.label.text)
        elif name.split(".", 1)[0].split("[", 1)[0] in template.fields:
            label = forms.path_label(template, name, lang)
        else:
            label = ""
        rows.append((label, " ".join(str(m) for m in messages)))
    return rows


def _edit_rows(contract, template, lang: str) -> list[dict]:
    """The change log as people read it: labels, not variable paths or codes."""
    titles = {}
    if any(edit.kind == EditKind.clause for edit in contract.edits):
        try:
            titles = {cid: c["title"] for cid, c in clauses.template_clauses(contract)[
                lang if lang in contract.langs else contract.langs[0]].items()}
        except VariablesInvalid:
            titles = {}
    rows = []
    for edit in reversed(contract.edits):
        row = {"edit": edit, "redline": None, "lang": forms.LANG_SUFFIX.get(edit.lang)}
        if edit.kind == EditKind.clause:
            row["redline"] = word_diff(edit.before or "", edit.after or "")
            row["label"] = titles.get(edit.target) or _("Clause")
        elif edit.kind == EditKind.variable:
            row["label"] = forms.path_label(template, edit.target, lang)
            row["before"] = presenting.edit_value(template, edit.target, edit.before, lang)
            row["after"] = presenting.edit_value(template, edit.target, edit.after, lang)
        else:
            row["label"] = _("Language")
            row["before"], row["after"] = (_language_setting(v) for v in (edit.before,
                                                                           edit.after))
        rows.append(row)
    return rows


def _language_setting(value: str | None) -> str:
    """A stored "language/prevailing" setting ("bilingual/ko") as people read it."""
    language, _sep, prevailing = (value or "").partition("/")
    if language not in LANGUAGE_LABELS:
        return "—"
    if language != "bilingual" or prevailing not in LANGUAGE_LABELS:
        return str(LANGUAGE_LABELS[language])
    return _("%(language)s (prevailing: %(prevailing)s)", language=LANGUAGE_LABELS[language],
             prevailing=LANGUAGE_LABELS[prevailing])


@bp.route("/<int:deal_id>/contract")
@login_required
def contract(deal_id):
    return _render_contract(deal_id)


@bp.route("/<int:deal_id>/contract/start", methods=["POST"])
@login_required
def start(deal_id):
    forms.ActionForm().validate_on_submit()
    return _act(deal_id, lambda deal, _c: drafting.start_draft(deal, current_user),
                _("The contract draft was started from the agreed terms."), needs_contract=False)


@bp.route("/<int:deal_id>/contract/details", methods=["GET", "POST"])
@login_required
def details(deal_id):
    deal = _deal(deal_id)
    contract = _current(deal)
    if not (access.can_fill(deal, current_user) and contract.is_draft):
        return redirect(_page_url(deal_id), code=303)
    template = library.template_of(contract)
    currency = (access.contract_terms(contract).get("currency") or "KRW")
    paths = drafting.editable_paths(contract)
    form = forms.details_form(template, paths, contract.variables, _lang(), currency,
                        formdata=request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                drafting.fill_variables(contract, current_user, forms.details_from_form(form))
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                forms.apply_path_errors(form, exc)
                status = exc.status if exc.status != 400 else 400
            else:
                flash(_("The contract details were saved."), "success")
                return redirect(_page_url(deal_id), code=303)
        else:
            status = 400
    missing = drafting.missing_variables(contract)
    return render_template("agreements/details.html", deal=deal, contract=contract, form=form,
                           missing=dict(forms.missing_labels(template, missing, _lang()))), status


@contract_action("/<int:deal_id>/contract/language", forms.LanguageForm)
def language(contract, form):
    drafting.change_language(contract, current_user, form.language.data,
                             form.prevailing_language.data)
    return _("The contract language was saved.")


@bp.route("/<int:deal_id>/contract/clauses/<clause_id>", methods=["GET", "POST"])
@login_required
def clause(deal_id, clause_id):
    deal = _deal(deal_id)
    contract = _current(deal)
    if not (access.can_edit_text(deal, current_user) and contract.is_draft):
        return redirect(_page_url(deal_id), code=303)
    try:
        defaults = clauses.template_clauses(contract)
    except VariablesInvalid:
        flash(_("Fill in the missing details before editing clauses."), "warning")
        return redirect(_page_url(deal_id), code=303)
    if clause_id not in defaults["ko"]:
        abort(404)
    edited = contract.overrides.get(clause_id, {})
    form = forms.ClauseForm(data={
        f"text_{lang}": edited.get(lang) or defaults[lang][clause_id]["text"]
        for lang in ("ko", "en")})
    status = 200
    if form.validate_on_submit():
        texts = {lang: getattr(form, f"text_{lang}").data for lang in contract.langs}
        try:
            clauses.edit_clause(contract, current_user, clause_id, texts)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
            status = exc.status
        else:
            flash(_("The clause was saved. Both sides see the change marked."), "success")
            return redirect(_page_url(deal_id, f"clause-{clause_id}"), code=303)
    elif request.method == "POST":
        status = 400
    return render_template("agreements/clause.html", deal=deal, contract=contract, form=form,
                           clause=defaults[_lang()][clause_id], clause_id=clause_id,
                           defaults=defaults), status


@contract_action("/<int:deal_id>/contract/signatory", forms.SignatoryForm, "signatories")
def signatory(contract, form):
    drafting.set_signatory(contract, current_user, form.name.data, form.title.data)
    return _("The signatory was saved.")


@contract_action("/<int:deal_id>/contract/approve", forms.ActionForm, "approvals")
def approve(contract, _form):
    signing.approve(contract, current_user)
    return _("You approved the draft.")


@contract_action("/<int:deal_id>/contract/sign", forms.SignForm, "signing",
                 limit=password_attempt_limit)
def sign(contract, form):
    signing.sign(contract, current_user, password=form.password.data or "",
                 typed_name=form.signatory_name.data or "",
                 shown_sha256=form.document_sha256.data or "",
                 ip=request.remote_addr, user_agent=request.headers.get("User-Agent"))
    return _("You signed the contract.")


@contract_action("/<int:deal_id>/contract/reopen", forms.ReopenForm)
def reopen(contract, form):
    drafting.reopen(contract, current_user, form.reason.data)
    return _("A new draft version was started; earlier signatures no longer count.")


@contract_action("/<int:deal_id>/contract/review-request", forms.ReviewRequestForm, "review")
def request_review(contract, form):
    review.request_review(contract, current_user, form.note.data)
    return _("City staff have been asked to review the draft.")


@contract_action("/<int:deal_id>/contract/review", forms.ReviewForm, "review")
def review_contract(contract, form):
    review.review(contract, current_user, form.comment.data)
    return _("Your review was sent to both sides.")


@bp.route("/<int:deal_id>/contract/<int:contract_id>/pdf")
@login_required
def pdf(deal_id, contract_id):
    deal = _deal(deal_id)
    signed = request.args.get("signed") == "1"
    contract, data, sha = access.pdf_for_download(deal, contract_id, current_user, signed)
    suffix = "-signed" if signed else ""
    return _pdf_download(data, f"{contract.contract_no}-v{contract.version}{suffix}.pdf", sha)


def _pdf_download(data: bytes, name: str, sha256: str):
    """A PDF to save as `name`, never cached, with its SHA-256 for the reader to check."""
    response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                         download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-SHA256"] = sha256
    return response


# ---- the NDA step ----------------------------------------------------------------------

def _render_nda(deal, form=None, error=None):
    sha256 = nda.prepare(deal)
    db.session.commit()  # keep a freshly rendered PDF
    form = form or forms.NdaConfirmForm()
    form.sha256.data = sha256
    return render_template("agreements/nda.html", deal=deal, sha256=sha256,
                           values=nda.variables(deal),
                           missing=nda.missing_now(deal),
                           actions=deal.allowed_actions(current_user), form=form, error=error,
                           Side=Side,
                           viewer_side=deal.side_of(current_user))


@bp.route("/<int:deal_id>/nda", endpoint="nda")
@login_required
def nda_page(deal_id):
    return _render_nda(_deal(deal_id))


@bp.route("/<int:deal_id>/nda.pdf")
@login_required
def nda_pdf(deal_id):
    """The NDA PDF, for the parties and the assigned staff (404 for everyone else)."""
    data, sha256 = nda.pdf(_deal(deal_id))
    db.session.commit()
    return _pdf_download(data, f"TTO-NDA-{deal_id:06d}.pdf", sha256)


@bp.route("/<int:deal_id>/nda/confirm", methods=["POST"])
@limiter.limit(password_attempt_limit, methods=["POST"])
@login_required
def confirm_nda(deal_id):
    deal = _deal(deal_id)
    form = forms.NdaConfirmForm()
    form.validate_on_submit()

    def refused(exc):
        form.password.data = None
        return _render_nda(_deal(deal_id), form, error=exc.message), exc.status

    return run_action(lambda: nda.confirm(deal, current_user, sha256=form.sha256.data or "",
                                          password=form.password.data or ""),
                      on_success=done(_("You confirmed the NDA."),
                                      url_for("deals.detail", deal_id=deal_id)),
                      on_error=refused)


# ---- template library (admins) ------------------------------------------------------------

def _admin_only():
    if not (current_user.is_authenticated and current_user.is_admin):
        abort(404)


@admin_bp.route("/templates", methods=["GET", "POST"])
@login_required
def templates():
    _admin_only()
    form = forms.TemplateUploadForm()
    keys = library.keys()
    form.key.choices = choices((k, k) for k in keys)

    def page(status: int):
        return render_template("agreements/templates.html", form=form,
                               library=library.overview()), status

    def refused(exc: DomainError):
        apply_domain_error(form, exc)
        return page(exc.status)

    if form.validate_on_submit():
        uploads = [(f.filename or "", f.read()) for f in (form.files.data or []) if f]
        def upload():
            version = library.upload(current_user, form.key.data, uploads)
            audit.record(current_user, "template_uploaded", version,
                         details={"key": version.key, "version": version.version})
            return version

        return run_action(upload,
                          on_success=lambda version: done(
                              _("Version %(version)s of %(key)s was added.",
                                version=version.version, key=version.key),
                              url_for("contract_templates.templates"))(version),
                          on_error=refused, reraise=())
    return page(400 if request.method == "POST" else 200)
