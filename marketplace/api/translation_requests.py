"""POST /api/v1/{needs,offerings}/{id}/translation-requests: ask for a listing in the language
it lacks."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..actions import run_action
from ..errors import NotFound
from ..extensions import db
from ..listings.models import Listing
from ..listings.vocabulary import ListingKind
from ..translation_requests import services
from .auth import api_user, token_required
from .listing_kinds import per_kind
from .schemas import RecordSchema

blp = Blueprint("api_translation_requests", __name__, url_prefix="/api/v1",
                description="Translation requests: ask for a listing in the other language.")


class TranslationAskSchema(Schema):
    lang = fields.String(load_default="en", validate=validate.OneOf(services.LANGUAGES),
                         metadata={"description": "the language wanted (default: en)"})


class TranslationRequestSchema(RecordSchema):
    listing_id = fields.Integer(required=True)
    lang = fields.String(required=True)
    fulfilled = fields.Boolean(required=True)


def _ask(kind: ListingKind, listing_id: int, data: dict):
    def action():
        listing = db.session.get(Listing, listing_id)
        if listing is None or listing.kind != kind:
            raise NotFound(services.NOT_AVAILABLE)
        return services.ask(api_user(), listing, data["lang"])

    request, created = run_action(action)
    body = {"id": request.id, "listing_id": request.listing_id, "lang": request.lang,
            "created_at": request.created_at, "fulfilled": request.fulfilled_at is not None}
    return body, 201 if created else 200


@per_kind(blp, "/translation-requests", "ask_{kind}", methods=["POST"])
def _ask_route(kind: ListingKind, path: str):
    @blp.arguments(TranslationAskSchema)
    @blp.response(201, TranslationRequestSchema)
    @blp.alt_response(200, schema=TranslationRequestSchema,
                      description="asked before: the same")
    @token_required
    def ask(data, listing_id):
        return _ask(kind, listing_id, data)

    return ask
