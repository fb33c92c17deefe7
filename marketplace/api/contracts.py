"""/api/v1/deals/{id}/contract: draft, fill, approve and sign a deal's contract, and download
its PDF — the contract pages' rules and errors, through the same services."""

from flask import Response, request
from flask.views import MethodView
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint

from ..actions import run_action
from ..agreements import access, drafting, library, signing, variables
from ..agreements.forms import missing_labels
from ..agreements.models import Contract
from ..errors import DomainError, NotFound
from ..extensions import db, limiter
from ..security import password_attempt_limit
from .auth import api_user, token_required
from .language import accepted_language
from .routes import endpoint, operation
from .schemas import ContractChangeSchema, ContractSchema, SignContractSchema

blp = Blueprint("api_contracts", __name__, url_prefix="/api/v1/deals",
                description="The contract of an agreed deal: drafting, approval, signing.")


def _lang() -> str:
    """Accept-Language when the request has one, else the caller's preferred language."""
    if request.headers.get("Accept-Language"):
        return accepted_language()
    return getattr(api_user(), "preferred_language", None) or "ko"


def _deal(deal_id: int):
    return access.deal_for_viewer_or_404(deal_id, api_user())


def _contract(deal) -> Contract:
    contract = access.current_contract(deal)
    if contract is None:
        raise NotFound(_l("This deal has no contract draft yet."))
    return contract


def _out(contract: Contract) -> dict:
    """The contract as the API shows it to the caller."""
    deal, user = contract.deal, api_user()
    side = deal.side_of(user)
    lang = _lang()
    with force_locale(lang):
        missing = [{"key": key, "label": label} for key, label in missing_labels(
            library.template_of(contract), drafting.missing_variables(contract), lang)]
    return {
        "id": contract.id, "contract_no": contract.contract_no, "version": contract.version,
        "status": contract.status.value, "language": contract.language,
        "prevailing_language": contract.prevailing_language,
        "template": contract.template_key, "template_version": contract.template_version,
        "terms_version": contract.terms_version, "variables": contract.variables,
        "missing": missing, "signatories": drafting.signatories_of(contract),
        "your_party": variables.party_field(contract.template_key, side) if side else None,
        "approvals": [{"party": variables.party_field(contract.template_key, a.side),
                       "approved_at": a.approved_at} for a in contract.active_approvals()],
        "signatures": [{"party": variables.party_field(contract.template_key, s.side),
                        "name": s.typed_name, "signed_at": s.signed_at,
                        "document_sha256": s.document_sha256}
                       for s in contract.active_signatures()],
        "sha256": contract.pdf_sha256, "signed_sha256": contract.signed_pdf_sha256,
    }


def _run(contract: Contract, action) -> dict:
    """Run `action()` (`run_action`: committed, or rolled back and answered in JSON), then
    answer with the contract as stored (a render job may have run inline)."""

    def answer(_result):
        db.session.refresh(contract)
        return _out(contract)

    return run_action(action, on_success=answer)


def variable_paths(contract: Contract, nested: dict) -> dict:
    """``{"licensor": {"address": ...}}`` as the draft's paths (``licensor.address``): a party
    is given by its keys, every other variable whole."""
    fields = library.template_of(contract).fields
    locked = set(contract.locked)
    paths, refused = {}, {}
    for name, value in nested.items():
        spec = fields.get(name)
        if spec is None:
            refused[name] = [_l("This contract has no such detail.")]
        elif spec.type == "party":
            if not isinstance(value, dict):
                refused[name] = [_l("Give the party's details as an object.")]
                continue
            paths.update({f"{name}.{key}": item for key, item in value.items()})
        elif name in locked and isinstance(value, dict):
            # a term agreed in one language: its translation is given by language, as the
            # draft page takes it (``field_of_use.ko``)
            paths.update({f"{name}.{lang}": item for lang, item in value.items()})
        else:
            paths[name] = value
    if refused:
        raise DomainError(_l("Some details are not valid. Check the marked fields."), refused)
    return paths


@blp.route("/<int:deal_id>/contract")
class ContractResource(MethodView):
    @operation(blp, ContractSchema)
    def get(self, deal_id):
        """The deal's current contract version: what is missing, who signs, who approved and
        signed, and the SHA-256 of its PDF once rendered."""
        return _out(_contract(_deal(deal_id)))

    @operation(blp, ContractSchema, status=201)
    def post(self, deal_id):
        """Start the draft from the agreed terms (409 once started, or before agreement)."""
        deal = _deal(deal_id)
        return run_action(lambda: drafting.start_draft(deal, api_user()), on_success=_out)

    @operation(blp, ContractSchema, body=ContractChangeSchema)
    def patch(self, data, deal_id):
        """Change the draft: details, language and your party's signatory, all or nothing
        (409 once it is approved or rendered: a change then needs a new version)."""
        user = api_user()
        contract = _contract(_deal(deal_id))

        def change():
            if "variables" in data:
                drafting.fill_variables(contract, user,
                                        variable_paths(contract, data["variables"]))
            if "language" in data or "prevailing_language" in data:
                drafting.change_language(
                    contract, user, data.get("language", contract.language),
                    data.get("prevailing_language", contract.prevailing_language))
            if "signatory" in data:
                signatory = data["signatory"]
                drafting.set_signatory(contract, user, signatory["name"], signatory.get("title"))

        return _run(contract, change)


@endpoint(blp, "/<int:deal_id>/contract/approve", ContractSchema, methods=["POST"])
def approve(deal_id):
    """Approve the draft as it stands for your party; once both have, the PDF is rendered and
    `status` becomes `rendered`."""
    contract = _contract(_deal(deal_id))
    return _run(contract, lambda: signing.approve(contract, api_user()))


@endpoint(blp, "/<int:deal_id>/contract/sign", ContractSchema,
          body=SignContractSchema, methods=["POST"])
@limiter.limit(password_attempt_limit)
def sign(data, deal_id):
    """Sign the PDF whose `sha256` you read (409 if it is not the current one) with your
    password (403 if wrong) and your signatory's name (422 if it is not theirs)."""
    contract = _contract(_deal(deal_id))
    return _run(contract, lambda: signing.sign(
        contract, api_user(), password=data["password"], typed_name=data["signatory_name"],
        shown_sha256=data["sha256"], ip=request.remote_addr,
        user_agent=request.headers.get("User-Agent")))


@blp.route("/<int:deal_id>/contract/pdf")
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf",
              description="The PDF to sign, or the final one once both parties signed.")
@token_required
def pdf(deal_id):
    """The current PDF: the one to sign, or the final one once both parties signed."""
    deal = _deal(deal_id)
    contract = _contract(deal)
    _, data, sha = access.pdf_for_download(deal, contract.id, api_user(),
                                           signed=bool(contract.signed_pdf_sha256))
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{contract.contract_no}-v{contract.version}.pdf"')
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-SHA256"] = sha
    return response
