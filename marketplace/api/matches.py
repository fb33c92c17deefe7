"""/api/v1/needs/{id}/matches and /api/v1/offerings/{id}/matches: a listing's ranked
counterparts, for its own organisation (and staff); 404 for everybody else."""

from flask import abort
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..extensions import db
from ..listings.models import Listing, ListingKind
from ..matching import recommendations
from ..matching.explanation_text import explanation_list
from .auth import api_user, token_required
from .language import accepted_language, answer_language, lang_field
from .listing_kinds import per_kind
from .listings import ListingSchema

blp = Blueprint("api_matches", __name__, url_prefix="/api/v1",
                description="Matches: ranked counterparts of a need or an offering.")


class MatchQuerySchema(Schema):
    lang = lang_field("language of the explanation text (default: Accept-Language, then ko)")
    limit = fields.Integer(load_default=10, validate=validate.Range(1, 50))


class ExplanationSchema(Schema):
    text = fields.String(required=True, metadata={"description": "in the request's language"})
    parts = fields.List(fields.String(), required=True)
    lang = fields.String(required=True)
    shared_concepts = fields.List(fields.String(), required=True)
    sector_match = fields.Boolean(required=True)
    trl_fit = fields.String(required=True, metadata={"description": "meets | below | unknown"})
    offering_trl = fields.Integer(allow_none=True)
    min_trl = fields.Integer(allow_none=True)
    deal_types_shared = fields.List(fields.String(), allow_none=True)
    budget_fit = fields.String(required=True,
                               metadata={"description": "fits | above | below | unknown"})
    components = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)


class MatchSchema(Schema):
    listing = fields.Nested(ListingSchema, required=True)
    score = fields.Float(required=True)
    explanation = fields.Nested(ExplanationSchema, required=True)
    model_version = fields.String(required=True)
    computed_at = fields.DateTime(required=True)


def _matches(kind: ListingKind, listing_id: int, query: dict) -> list[dict]:
    listing = db.session.get(Listing, listing_id)
    if (listing is None or listing.kind != kind
            or not recommendations.can_see_recommendations(listing, api_user())):
        abort(404)
    out = []
    with answer_language(query, fallback=accepted_language) as lang:
        for rec in recommendations.recommendations(listing, limit=query["limit"]):
            data = dict(rec.explanation)
            parts = explanation_list(rec.explanation, lang)
            explanation = {
                "text": " · ".join(parts), "parts": parts, "lang": lang,
                "shared_concepts": data.get("shared_concepts") or [],
                "sector_match": bool(data.get("sector_match")),
                "trl_fit": data.get("trl_fit") or "unknown",
                "offering_trl": data.get("offering_trl"), "min_trl": data.get("min_trl"),
                "deal_types_shared": data.get("deal_types_shared"),
                "budget_fit": data.get("budget_fit") or "unknown",
                "components": data.get("components") or {},
            }
            out.append({"listing": rec.listing, "score": round(rec.score, 6),
                        "explanation": explanation, "model_version": rec.match.model_version,
                        "computed_at": rec.match.computed_at})
    return out


#: What a listing of each kind is matched with.
COUNTERPARTS = {ListingKind.need: "offerings", ListingKind.offering: "needs"}


@per_kind(blp, "/matches", "{kind}_matches")
def _matches_route(kind: ListingKind, path: str):
    @blp.arguments(MatchQuerySchema, location="query")
    @blp.response(200, MatchSchema(many=True))
    @token_required
    def matches(query, listing_id):
        return _matches(kind, listing_id, query)

    matches.__doc__ = (f"{COUNTERPARTS[kind].capitalize()} ranked for one of your "
                       f"organisation's {path}, best first.")
    return matches
