"""/api/v1/desk: what waits on the token holder, what is new for them, and their
organisation's listings with their numbers over the last 30 days; titles in their language
(or `?lang=`)."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..desk import services
from .auth import api_user
from .language import TITLES_LANG, answer_language
from .listings import ListingRefSchema
from .notifications import NoticeSchema
from .routes import endpoint

blp = Blueprint("api_desk", __name__, url_prefix="/api/v1",
                description="The desk: what waits on the token holder and what is new.")


class DeskQuerySchema(Schema):
    lang = TITLES_LANG


class ActionSchema(Schema):
    kind = fields.String(required=True, metadata={
        "description": "answer_inquiry, confirm_nda, answer_offer, approve_contract, "
                       "sign_contract, pay or confirm_transfer"})
    title = fields.String(required=True)
    url = fields.String(required=True)
    deal_id = fields.Integer(required=True)
    since = fields.DateTime(required=True, metadata={"description": "waiting since"})


class ListingNumbersSchema(ListingRefSchema):
    title = fields.String(required=True)
    views_30d = fields.Integer(required=True, metadata={
        "description": "distinct other organisations that opened it"})
    inquiries_30d = fields.Integer(required=True)
    proposals_30d = fields.Integer(required=True)
    bookmarks_30d = fields.Integer(required=True, metadata={
        "description": "bookmarks made in the 30 days and still kept"})


class DeskSchema(Schema):
    actions = fields.List(fields.Nested(ActionSchema), required=True)
    news = fields.List(fields.Nested(NoticeSchema), required=True)
    listings = fields.List(fields.Nested(ListingNumbersSchema), required=True)


@endpoint(blp, "/desk", DeskSchema, query=DeskQuerySchema)
def desk(query):
    user = api_user()
    with answer_language(query) as lang:
        actions = [vars(a) for a in services.actions_for(user, lang_code=lang, _external=True)]
        news = [vars(n) for n in services.news_for(user, lang_code=lang, _external=True)]
        listings = [{"id": row.listing.id, "kind": row.listing.kind.value,
                     "title": row.listing.title, "status": row.listing.status.value,
                     **row.numbers} for row in services.listings_for(user)]
    return {"actions": actions, "news": news, "listings": listings}
