"""/api/v1/needs and /api/v1/offerings: the same rules as the pages, through the same services."""

from flask import abort
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..extensions import db
from ..listings import search, services
from ..listings.models import (
    DEAL_TYPES,
    SECTORS,
    CloseReason,
    IPStatus,
    Listing,
    ListingKind,
    can_see_confidential,
)
from .auth import api_user, token_required
from .schemas import OrganisationRefSchema, PageQuerySchema, page_schema

SECURITY = [{"bearer": []}]


class ListingQuerySchema(PageQuerySchema):
    q = fields.String(validate=validate.Length(max=200))
    sector = fields.String(validate=validate.OneOf(SECTORS))
    trl_min = fields.Integer(validate=validate.Range(1, 9))
    trl_max = fields.Integer(validate=validate.Range(1, 9))
    deal_type = fields.String(validate=validate.OneOf(DEAL_TYPES))
    lang = fields.String(validate=validate.OneOf(["ko", "en"]))
    verified = fields.Boolean()
    challenge = fields.Boolean(metadata={"description": "needs only: open challenges"})
    sort = fields.String(validate=validate.OneOf(search.SORTS), load_default="relevance")


def _text_fields():
    return {f"{name}_{lang}": fields.String(allow_none=True)
            for name in ("title", "summary", "description") for lang in ("ko", "en")}


COMMON_IN = {
    **_text_fields(),
    "sector": fields.String(validate=validate.OneOf(SECTORS)),
    "deal_types": fields.List(fields.String(validate=validate.OneOf(DEAL_TYPES))),
    "keywords": fields.List(fields.String(validate=validate.Length(max=40))),
    "price_min": fields.Integer(allow_none=True, metadata={"description": "minor units"}),
    "price_max": fields.Integer(allow_none=True, metadata={"description": "minor units"}),
    "currency": fields.String(allow_none=True, validate=validate.OneOf(["KRW", "USD"])),
    "confidential_text": fields.String(allow_none=True),
}
OfferingInSchema = Schema.from_dict({
    **COMMON_IN,
    "trl": fields.Integer(validate=validate.Range(1, 9)),
    "ip_status": fields.String(validate=validate.OneOf([s.value for s in IPStatus])),
    "patent_applications": fields.List(fields.String()),
    "patent_registrations": fields.List(fields.String()),
    "evidence": fields.String(allow_none=True),
}, name="OfferingIn")
NeedInSchema = Schema.from_dict({
    **COMMON_IN,
    "min_trl": fields.Integer(validate=validate.Range(1, 9)),
    "expected_benefit": fields.String(allow_none=True),
    "deadline": fields.Date(allow_none=True, metadata={"description": "last day for answers"}),
}, name="NeedIn")


class CloseSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(
        [r.value for r in CloseReason if r != CloseReason.expired]))


class ListingSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)
    version = fields.Integer(required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    title_ko = fields.String(allow_none=True)
    title_en = fields.String(allow_none=True)
    summary_ko = fields.String(allow_none=True)
    summary_en = fields.String(allow_none=True)
    description_ko = fields.String(allow_none=True)
    description_en = fields.String(allow_none=True)
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


def _listing_or_404(kind: ListingKind, listing_id: int) -> Listing:
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.kind != kind or not listing.is_visible_to(api_user()):
        abort(404)
    return listing


def _incoming(data: dict) -> dict:
    if data.get("deadline") is not None:
        data["deadline"] = data["deadline"].isoformat()
    return data


def make_blueprint(kind: ListingKind, path: str, in_schema) -> Blueprint:
    blp = Blueprint(f"api_{path}", __name__, url_prefix=f"/api/v1/{path}",
                    description=f"Technology {path}.")

    @blp.route("")
    class Collection(MethodView):
        @blp.arguments(ListingQuerySchema, location="query")
        @blp.response(200, ListingPageSchema)
        def get(self, query):
            """Published listings, filtered and searched (Korean-aware)."""
            items, total = search.search_listings(kind, query, api_user())
            return {"items": items, "page": query["page"], "per_page": query["per_page"],
                    "total": total}

        @blp.arguments(in_schema)
        @blp.response(201, ListingSchema)
        @blp.doc(security=SECURITY)
        @token_required
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
            return _listing_or_404(kind, listing_id)

        @blp.arguments(in_schema)
        @blp.response(200, ListingSchema)
        @blp.doc(security=SECURITY)
        @token_required
        def patch(self, data, listing_id):
            """Change fields; a real change makes a new version."""
            listing = _listing_or_404(kind, listing_id)
            services.update_listing(listing, api_user(), _incoming(data))
            db.session.commit()
            return listing

    @blp.route("/<int:listing_id>/publish", methods=["POST"])
    @blp.response(200, ListingSchema)
    @blp.doc(security=SECURITY)
    @token_required
    def publish(listing_id):
        """draft → published (the organisation must be verified)."""
        listing = _listing_or_404(kind, listing_id)
        listing.publish(api_user())
        db.session.commit()
        return listing

    @blp.route("/<int:listing_id>/close", methods=["POST"])
    @blp.arguments(CloseSchema)
    @blp.response(200, ListingSchema)
    @blp.doc(security=SECURITY)
    @token_required
    def close(data, listing_id):
        """published → closed, with a reason."""
        listing = _listing_or_404(kind, listing_id)
        listing.close(api_user(), data["reason"])
        db.session.commit()
        return listing

    return blp


offerings_api = make_blueprint(ListingKind.offering, "offerings", OfferingInSchema)
needs_api = make_blueprint(ListingKind.need, "needs", NeedInSchema)
