"""/api/v1/deals: open, list, read, answer, negotiate and message — the pages' rules, reused."""

from flask import Response
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..actions import run_action
from ..agreements import nda
from ..deals import messages, proposals, services, terms
from ..deals.states import DECLINE_REASONS, DealType, Side
from ..errors import NotFound
from ..extensions import db, limiter
from ..listings.models import Listing
from ..security import password_attempt_limit
from .auth import api_user, token_required
from .paging import PageQuerySchema, page_of, page_schema, paged
from .routes import endpoint, operation
from .schemas import FILLED, NO_NUL, OrganisationRefSchema, RecordSchema, text, text_schema

blp = Blueprint("api_deals", __name__, url_prefix="/api/v1/deals",
                description="Deals between a buyer organisation and a startup.")


def _term_schema(spec: terms.TermField) -> dict:
    low = 0 if spec.minimum is None else spec.minimum
    if spec.kind == "money":
        return {"type": "integer", "minimum": int(low), "maximum": terms.MAX_MONEY}
    if spec.kind == "integer":
        return {"type": "integer", "minimum": int(low), "maximum": int(spec.maximum)}
    if spec.kind == "percent":
        return {"type": "number", "minimum": float(low), "maximum": float(spec.maximum),
                "description": "at most two decimal places"}
    if spec.kind == "text":
        return _free_text_schema(spec.required)
    if spec.kind == "bool":
        return {"type": "boolean"}
    if spec.kind == "currency":
        return {"type": "string", "enum": list(terms.CURRENCIES)}
    if spec.kind == "schedule":
        return {"type": "array", "maxItems": terms.MAX_SCHEDULE, "items": {
            "type": "object", "required": ["amount", "due"], "additionalProperties": False,
            "properties": {"amount": {"type": "integer", "minimum": 1,
                                      "maximum": terms.MAX_MONEY},
                           "due": {"type": "string", "format": "date"}}}}
    return {"type": "string", "enum": list(spec.choices)}  # choice


def _free_text_schema(required: bool) -> dict:
    """A free-text term: a plain string (in the language it is written in) or its Korean and
    English text, either of which may be left out (not both, if the term is required)."""
    by_language = {"type": "object", "additionalProperties": False, "properties": {
        lang: text_schema(terms.MAX_TEXT) for lang in terms.TEXT_LANGUAGES}}
    if required:
        by_language["anyOf"] = [
            {"required": [lang], "properties": {lang: text_schema(terms.MAX_TEXT, filled=True)}}
            for lang in terms.TEXT_LANGUAGES]
    return {"oneOf": [text_schema(terms.MAX_TEXT, filled=required), by_language],
            "description": 'a plain string, taken in the language it is written in (Hangul: '
                           'Korean, else English), or {"ko": ..., "en": ...}'}


def terms_schemas() -> list[dict]:
    """One JSON schema per deal type (investment and acquisition share theirs)."""
    out, seen = [], []
    for deal_type in DealType:
        specs = terms.fields_for(deal_type)
        if specs in seen:
            continue
        seen.append(specs)
        names = [t.value for t in DealType if terms.fields_for(t) == specs]
        schema = {"title": " | ".join(names), "type": "object", "additionalProperties": False,
                  "required": [s.name for s in specs if s.required],
                  "properties": {s.name: _term_schema(s) for s in specs}}
        out.append(schema | CROSS_RULES.get(deal_type, {}))
    return out


#: What the terms of a type need beyond each field (a licence: a fee, a royalty or both).
#: Not stated: a transfer's schedule must add up to its price.
CROSS_RULES = {DealType.license: {"anyOf": [
    {"required": ["upfront_fee"], "properties": {"upfront_fee": {"minimum": 1}}},
    {"required": ["royalty_percent"], "properties": {"royalty_percent": {
        "exclusiveMinimum": True, "minimum": 0}}}]}}


class DealQuerySchema(PageQuerySchema):
    state = fields.String(validate=validate.OneOf(["open", "ended"]))


class OpenDealSchema(Schema):
    offering_id = fields.Integer(allow_none=True, validate=validate.Range(1, 2**31 - 1),
                                 metadata={"description": "the offering; a startup proposing "
                                           "for `need_id` may leave it out and write `title` "
                                           "and `summary` instead"})
    need_id = fields.Integer(allow_none=True, validate=validate.Range(1, 2**31 - 1))
    deal_type = fields.String(required=True, validate=validate.OneOf([t.value for t in DealType]))
    message = text(required=True, max_length=messages.MAX_MESSAGE, pattern=FILLED)
    require_nda = fields.Boolean(load_default=False)
    title = text(allow_none=True, max_length=proposals.MAX_TITLE, metadata={
        "description": "a startup's written proposal for the need (without `offering_id`)"})
    summary = text(allow_none=True, max_length=proposals.MAX_SUMMARY)

    # An offering, or a startup's written proposal for a need.
    OPENAPI_RULES = {"anyOf": [
        {"required": ["offering_id"], "properties": {"offering_id": {"type": "integer"}}},
        {"required": ["need_id", "title", "summary"], "properties": {
            "need_id": {"type": "integer"},
            "title": text_schema(proposals.MAX_TITLE, filled=True),
            "summary": text_schema(proposals.MAX_SUMMARY, filled=True)}}]}


class AcceptSchema(Schema):
    require_nda = fields.Boolean(load_default=False)


class DeclineSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(list(DECLINE_REASONS)))
    note = text(allow_none=True)


class NoteSchema(Schema):
    note = text(allow_none=True)


class NdaConfirmSchema(Schema):
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"),
                           metadata={"description": "the SHA-256 of the NDA PDF, as shown"})
    password = fields.String(required=True, load_only=True, validate=[
        validate.Length(min=1, max=1000), validate.Regexp(NO_NUL)])


class NdaMissingSchema(Schema):
    side = fields.String(allow_none=True)
    label = fields.String(required=True)


class NdaSchema(Schema):
    sha256 = fields.String(allow_none=True, metadata={
        "description": "the PDF both sides confirm; null while details are missing"})
    missing = fields.List(fields.Nested(NdaMissingSchema), required=True)
    buyer_confirmed = fields.Boolean(required=True)
    seller_confirmed = fields.Boolean(required=True)


class ProposeTermsSchema(Schema):
    based_on_version = fields.Integer(required=True, allow_none=True,
                                      validate=validate.Range(0, 2**31 - 1))
    terms = fields.Dict(keys=fields.String(), required=True, metadata={
        "description": "the fields of the deal's type, money in minor units, `currency` always",
        "oneOf": terms_schemas()})


class MessageInSchema(Schema):
    body = text(required=True)


class DealSchema(RecordSchema):
    state = fields.String(required=True)
    deal_type = fields.String(required=True)
    buyer = fields.Nested(OrganisationRefSchema, required=True)
    seller = fields.Nested(OrganisationRefSchema, required=True)
    offering_id = fields.Integer(required=True)
    need_id = fields.Integer(allow_none=True)
    current_version = fields.Integer(required=True)
    buyer_accepted_version = fields.Integer(allow_none=True)
    seller_accepted_version = fields.Integer(allow_none=True)
    nda_required = fields.Boolean(required=True)
    nda_passed = fields.Boolean(required=True)
    allowed_actions = fields.Method("_actions", required=True)
    last_activity_at = fields.DateTime(required=True)

    def _actions(self, deal):
        return sorted(deal.allowed_actions(api_user()))


class TermsSchema(Schema):
    version = fields.Integer(required=True)
    based_on_version = fields.Integer(allow_none=True)
    author_side = fields.String(required=True)
    currency = fields.String(required=True)
    terms = fields.Dict(required=True, attribute="fields")
    created_at = fields.DateTime(required=True)


class EventSchema(Schema):
    seq = fields.Integer(required=True)
    kind = fields.String(required=True)
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    actor_user_id = fields.Integer(allow_none=True)
    organisation_id = fields.Integer(allow_none=True)
    payload = fields.Dict(required=True)
    created_at = fields.DateTime(required=True)
    hash = fields.String(required=True)


class MessageSchema(RecordSchema):
    author_side = fields.String(allow_none=True)
    body = fields.String(required=True)


DealPageSchema = page_schema(DealSchema, "DealPage")


def _deal(deal_id: int):
    return services.deal_for_viewer_or_404(deal_id, api_user())


def _listing(listing_id: int | None) -> Listing | None:
    if listing_id is None:
        return None
    listing = db.session.get(Listing, listing_id)
    if listing is None:
        raise NotFound(_l("This listing is not available."))
    return listing


@blp.route("")
class Deals(MethodView):
    @paged(blp, DealPageSchema, DealQuerySchema)
    @token_required
    def get(self, query):
        """The deals of the token owner's organisation (or assigned to them, for staff)."""
        page = db.paginate(services.deals_for(api_user(), query.get("state")),
                           page=query["page"], per_page=query["per_page"], error_out=False)
        return page_of(query, page.items, page.total)

    @operation(blp, DealSchema, body=OpenDealSchema, status=201)
    def post(self, data):
        """Open a deal on a published offering (an inquiry with a first message); or, by a
        startup, propose its offering (or a written `title` and `summary`) for `need_id`: the
        startup is the seller, the need's organisation the buyer."""
        if data.get("offering_id") is None:
            return run_action(lambda: _propose_written(data))
        return run_action(lambda: services.open_deal(
            api_user(), _listing(data["offering_id"]), _listing(data.get("need_id")),
            deal_type=data["deal_type"], message=data["message"],
            require_nda=data["require_nda"]))


def _propose_written(data: dict):
    if data.get("need_id") is None:
        raise services.InvalidProposal(_l("Choose the offering."),
                                       {"offering_id": [_l("This field is required.")]})
    return proposals.propose(api_user(), _listing(data["need_id"]),
                             deal_type=data["deal_type"], message=data["message"],
                             title=data.get("title"), summary=data.get("summary"))


@endpoint(blp, "/<int:deal_id>", DealSchema)
def get_deal(deal_id):
    """One deal, for its parties and assigned staff only (404 for everyone else)."""
    return _deal(deal_id)


@endpoint(blp, "/<int:deal_id>/events", EventSchema(many=True))
def deal_events(deal_id):
    """The deal's append-only, hash-chained record."""
    return _deal(deal_id).events


def _act(deal_id: int, action):
    """Run `action(deal)` (`run_action`: committed, or rolled back and answered in JSON) and
    answer with the deal."""
    deal = _deal(deal_id)
    return run_action(lambda: action(deal), on_success=lambda _: deal)


@endpoint(blp, "/<int:deal_id>/accept", DealSchema, body=AcceptSchema, methods=["POST"])
def accept(data, deal_id):
    """The receiving side accepts the inquiry (optionally asking for an NDA first)."""
    return _act(deal_id, lambda d: d.accept_inquiry(api_user(), data["require_nda"]))


@endpoint(blp, "/<int:deal_id>/decline", DealSchema, body=DeclineSchema, methods=["POST"])
def decline(data, deal_id):
    """End the deal with a structured reason."""
    return _act(deal_id, lambda d: d.decline(api_user(), data["reason"], data.get("note")))


@endpoint(blp, "/<int:deal_id>/withdraw", DealSchema, body=NoteSchema, methods=["POST"])
def withdraw(data, deal_id):
    """Leave the deal."""
    return _act(deal_id, lambda d: d.withdraw(api_user(), data.get("note")))


@endpoint(blp, "/<int:deal_id>/nda", NdaSchema)
def nda_document(deal_id):
    """The NDA PDF's SHA-256 (rendered when first asked for), or what it still lacks."""
    deal = _deal(deal_id)
    sha256 = nda.prepare(deal)
    db.session.commit()
    return {"sha256": sha256, "buyer_confirmed": deal.nda_confirmed_by(Side.buyer),
            "seller_confirmed": deal.nda_confirmed_by(Side.seller),
            "missing": [{"side": side.value if side else None, "label": str(label)}
                        for side, label in nda.missing_now(deal)]}


@blp.route("/<int:deal_id>/nda/pdf")
@blp.doc(responses={200: {
    "description": "the NDA PDF (Korean and English)",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
@token_required
def nda_pdf(deal_id):
    """The NDA PDF, for the parties and the assigned staff."""
    data, sha256 = nda.pdf(_deal(deal_id))
    db.session.commit()
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="TTO-NDA-{deal_id:06d}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-SHA256"] = sha256
    return response


@endpoint(blp, "/<int:deal_id>/nda/confirm", DealSchema, body=NdaConfirmSchema, methods=["POST"])
@limiter.limit(password_attempt_limit)
def confirm_nda(data, deal_id):
    """Confirm the NDA PDF by its SHA-256 with your password; when both sides have,
    negotiation opens. A SHA-256 other than the current PDF's is a 409."""
    return _act(deal_id, lambda d: nda.confirm(d, api_user(), sha256=data["sha256"],
                                               password=data["password"]))


@blp.route("/<int:deal_id>/terms")
class Terms(MethodView):
    @operation(blp, TermsSchema(many=True))
    def get(self, deal_id):
        """Every terms version, oldest first."""
        return _deal(deal_id).terms_versions

    @operation(blp, TermsSchema, body=ProposeTermsSchema, status=201)
    def post(self, data, deal_id):
        """An offer or counter-offer; `based_on_version` must be the current version
        (null or 0 for the first offer), else 409."""
        deal = _deal(deal_id)
        return run_action(lambda: deal.propose_terms(api_user(), data["based_on_version"],
                                                     data["terms"]))


@endpoint(blp, "/<int:deal_id>/terms/<int:version>/accept", DealSchema, methods=["POST"])
def accept_terms(deal_id, version):
    """Accept the current version; a stale version is a 409."""
    return _act(deal_id, lambda d: d.accept_terms(api_user(), version))


@blp.route("/<int:deal_id>/messages")
class Messages(MethodView):
    @operation(blp, MessageSchema(many=True))
    def get(self, deal_id):
        """The deal's conversation."""
        return _deal(deal_id).messages

    @operation(blp, MessageSchema, body=MessageInSchema, status=201)
    def post(self, data, deal_id):
        """Write to the other side (and the assigned staff)."""
        deal = _deal(deal_id)
        return run_action(lambda: messages.post_message(deal, api_user(), data["body"]))

