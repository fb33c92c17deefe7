"""/api/v1/needs and /api/v1/offerings: the same rules as the pages, through the same services."""

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..extensions import db
from ..listings import search, services, validation
from ..listings.confidential import can_see_confidential
from ..listings.vocabulary import DEAL_TYPES, SECTORS, CloseReason, IPStatus, ListingKind
from .auth import api_user
from .language import lang_field
from .listing_kinds import listing_or_404
from .listing_rules import NEW_LISTING_RULES, NEW_OFFERING_RULES, ListingChangeSchema
from .paging import PageQuerySchema, page_of, page_schema, paged
from .routes import endpoint, operation
from .schemas import NO_NUL, ONE_LINE, OrganisationRefSchema, text


class ListingQuerySchema(PageQuerySchema):
    q = text(max_length=200)
    sector = fields.String(validate=validate.OneOf(SECTORS))
    trl_min = fields.Integer(validate=validate.Range(1, 9))
    trl_max = fields.Integer(validate=validate.Range(1, 9))
    deal_type = fields.String(validate=validate.OneOf(DEAL_TYPES))
    lang = lang_field()
    verified = fields.Boolean()
    challenge = fields.Boolean(metadata={"description": "needs only: open challenges"})
    sort = fields.String(validate=validate.OneOf(search.SORTS), load_default="relevance")


#: A patent number as the listing rules take it: 5 to 40 characters, at least five digits.
PATENT = r"^(?=(?:[^0-9]*[0-9]){5})" + validation.PATENT_NUMBER.pattern.lstrip("^")


def _text_fields(make) -> dict:
    """`make(name, limit)` for the title, the summary and the description in each language."""
    return {f"{name}_{lang}": make(name, limit)
            for name, limit in validation.LENGTHS.items() for lang in ("ko", "en")}


def _in_fields(kind: ListingKind) -> dict:
    """The fields of a new listing or of a change, each with its own rules."""
    price = {"allow_none": True, "validate": validate.Range(0, validation.MAX_PRICE - 1),
             "metadata": {"description": "minor units; not below `price_min` for `price_max`"}}
    common = {
        **_text_fields(lambda name, limit: text(
            allow_none=True, max_length=limit,
            pattern=ONE_LINE if name != "description" else NO_NUL)),
        "sector": fields.String(validate=validate.OneOf(SECTORS)),
        "deal_types": fields.List(fields.String(validate=validate.OneOf(DEAL_TYPES)),
                                  metadata={"minItems": 1}),
        "keywords": fields.List(text(max_length=validation.MAX_KEYWORD_LENGTH),
                                validate=validate.Length(max=validation.MAX_KEYWORDS)),
        "price_min": fields.Integer(**price),
        "price_max": fields.Integer(**price),
        "currency": fields.String(allow_none=True, validate=validate.OneOf(["KRW", "USD"]),
                                  metadata={"description": "required with a price"}),
        "confidential_text": text(allow_none=True, max_length=validation.MAX_CONFIDENTIAL),
    }
    if kind == ListingKind.offering:
        patents = fields.List(fields.String(validate=validate.Regexp(PATENT)),
                              validate=validate.Length(max=validation.MAX_PATENTS))
        return {**common,
                "trl": fields.Integer(validate=validate.Range(1, 9)),
                "ip_status": fields.String(validate=validate.OneOf([s.value for s in IPStatus])),
                "patent_applications": patents, "patent_registrations": patents,
                "evidence": text(allow_none=True, max_length=validation.MAX_TEXT)}
    return {**common,
            "min_trl": fields.Integer(validate=validate.Range(1, 9)),
            "expected_benefit": text(allow_none=True, max_length=validation.MAX_TEXT),
            "deadline": fields.Date(allow_none=True, metadata={
                "description": "last day for answers, in the future"})}


def _in_schema(kind: ListingKind, new: bool):
    if not new:
        return ListingChangeSchema.from_dict(_in_fields(kind), name=kind.value.capitalize()
                                             + "In")
    schema = Schema.from_dict(_in_fields(kind), name="New" + kind.value.capitalize() + "In")
    # the service answers a missing field with its own message: stated here only
    trl = "trl" if kind == ListingKind.offering else "min_trl"
    rules = NEW_OFFERING_RULES if kind == ListingKind.offering else NEW_LISTING_RULES
    schema.OPENAPI_RULES = {"required": ["sector", "deal_types", trl], **rules}
    return schema


class CloseSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(
        [r.value for r in CloseReason if r != CloseReason.expired]))


class ListingRefSchema(Schema):
    """What names a listing in an answer (its fields follow)."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)


#: A listing's texts as answered (null where not written).
ListingTextsSchema = Schema.from_dict(
    _text_fields(lambda name, limit: fields.String(allow_none=True)), name="ListingTexts")


class ListingSchema(ListingRefSchema, ListingTextsSchema):
    version = fields.Integer(required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    sector = fields.String(required=True)
    trl = fields.Integer(allow_none=True)
    min_trl = fields.Integer(allow_none=True)
    deal_types = fields.List(fields.String(), required=True)
    keywords = fields.List(fields.String(), required=True)
    price_min = fields.Integer(allow_none=True)
    price_max = fields.Integer(allow_none=True)
    currency = fields.String(allow_none=True)
    ip_status = fields.String(allow_none=True)
    patent_applications = fields.List(fields.String())
    patent_registrations = fields.List(fields.String())
    evidence = fields.String(allow_none=True)
    expected_benefit = fields.String(allow_none=True)
    deadline = fields.DateTime(allow_none=True)
    confidential_text = fields.Method("_confidential", allow_none=True, metadata={
        "description": "only for those allowed to see it (owner, staff, deal parties past NDA)"})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)

    def _confidential(self, listing):
        return listing.confidential_text if can_see_confidential(listing, api_user()) else None


ListingPageSchema = page_schema(ListingSchema, "ListingPage")


def _incoming(data: dict) -> dict:
    if data.get("deadline") is not None:
        data["deadline"] = data["deadline"].isoformat()
    return data


def make_blueprint(kind: ListingKind, path: str) -> Blueprint:
    blp = Blueprint(f"api_{path}", __name__, url_prefix=f"/api/v1/{path}",
                    description=f"Technology {path}.")

    @blp.route("")
    class Collection(MethodView):
        @paged(blp, ListingPageSchema, ListingQuerySchema)
        def get(self, query):
            """Published listings, filtered and searched (Korean-aware)."""
            return page_of(query, *search.search_listings(kind, query, api_user()))

        @blp.arguments(_in_schema(kind, new=True))
        @operation(blp, ListingSchema, status=201)
        def post(self, data):
            """Create a draft for the token owner's organisation."""
            user = api_user()
            listing = services.create_listing(user.organisation, user, _incoming(data), kind)
            db.session.commit()
            return listing

    @blp.route("/<int:listing_id>")
    class Item(MethodView):
        @blp.response(200, ListingSchema)
        def get(self, listing_id):
            """One listing: published ones for everyone, drafts for their organisation."""
            return listing_or_404(kind, listing_id)

        @blp.arguments(_in_schema(kind, new=False), required=False)  # none: nothing changes
        @operation(blp, ListingSchema)
        def patch(self, data, listing_id):
            """Change fields; a real change makes a new version."""
            listing = listing_or_404(kind, listing_id)
            services.update_listing(listing, api_user(), _incoming(data))
            db.session.commit()
            return listing

    @endpoint(blp, "/<int:listing_id>/publish", ListingSchema, methods=["POST"])
    def publish(listing_id):
        """draft → published (the organisation must be verified)."""
        listing = listing_or_404(kind, listing_id)
        listing.publish(api_user())
        db.session.commit()
        return listing

    @endpoint(blp, "/<int:listing_id>/close", ListingSchema, body=CloseSchema, methods=["POST"])
    def close(data, listing_id):
        """published → closed, with a reason."""
        listing = listing_or_404(kind, listing_id)
        listing.close(api_user(), data["reason"])
        db.session.commit()
        return listing

    return blp


offerings_api = make_blueprint(ListingKind.offering, "offerings")
needs_api = make_blueprint(ListingKind.need, "needs")
