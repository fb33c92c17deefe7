"""/api/v1/saved-searches and /api/v1/bookmarks: the token holder's own, through the same
services as the pages. Another user's saved search or bookmark does not exist (404)."""

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..actions import run_action
from ..listings.vocabulary import DEAL_TYPES, SECTORS, ListingKind
from ..mail.services import reading_language
from ..routing import MAX_ID
from ..saved import bookmarks, searches
from .auth import api_user, token_required
from .language import answer_language, lang_field
from .listings import ListingRefSchema
from .paging import offset, page_in, page_of, page_schema, paged
from .routes import operation
from .schemas import RecordSchema, text

searches_blp = Blueprint("api_saved_searches", __name__, url_prefix="/api/v1/saved-searches",
                         description="Saved searches: notified of new listings that match.")
bookmarks_blp = Blueprint("api_bookmarks", __name__, url_prefix="/api/v1/bookmarks",
                          description="Bookmarked listings.")


# -- saved searches ----------------------------------------------------------------------------


class SavedSearchInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in ListingKind]))
    q = text(max_length=searches.MAX_QUERY, allow_none=True, metadata={
        "description": "keywords, as the browse page and GET /needs take them"})
    sector = fields.String(allow_none=True, validate=validate.OneOf(SECTORS))
    trl_min = fields.Integer(allow_none=True, strict=True, validate=validate.Range(1, 9))
    trl_max = fields.Integer(allow_none=True, strict=True, validate=validate.Range(1, 9),
                             metadata={"description": "not below `trl_min`"})
    deal_type = fields.String(allow_none=True, validate=validate.OneOf(DEAL_TYPES))
    lang = lang_field("only listings written in this language", allow_none=True)
    label = text(max_length=searches.MAX_LABEL, allow_none=True, metadata={
        "description": "a name for the search (default: its keywords and filters in words)"})


class SavedSearchSchema(RecordSchema):
    kind = fields.String(required=True)
    label = fields.String(required=True)
    q = fields.String(required=True)
    sector = fields.String(allow_none=True, required=True)
    trl_min = fields.Integer(allow_none=True, required=True)
    trl_max = fields.Integer(allow_none=True, required=True)
    deal_type = fields.String(allow_none=True, required=True)
    lang = fields.String(allow_none=True, required=True)
    url = fields.Method("_url", required=True, metadata={
        "description": "the browse page that runs the search"})

    def _url(self, search) -> str:
        return searches.browse_url(search, lang_code=reading_language(api_user()),
                                   _external=True)


SavedSearchPageSchema = page_schema(SavedSearchSchema, "SavedSearchPage")


@searches_blp.route("")
class SavedSearches(MethodView):
    @paged(searches_blp, SavedSearchPageSchema)
    @token_required
    def get(self, query):
        """The token holder's saved searches, newest first."""
        return page_in(query, searches.searches_of(api_user()))

    @searches_blp.arguments(SavedSearchInSchema)
    @searches_blp.response(201, SavedSearchSchema)
    @searches_blp.alt_response(409, description="The same search is saved already, or the "
                               "limit is reached.")
    @token_required
    def post(self, data):
        """Save a search; its owner is notified of each newly published listing it finds.
        Without a label it is named by its keywords and filters, in the owner's language."""
        with answer_language():
            return run_action(lambda: searches.save_search(api_user(), data))


@searches_blp.route("/<int:search_id>")
class SavedSearchItem(MethodView):
    @operation(searches_blp, SavedSearchSchema)
    def get(self, search_id):
        """One of the token holder's saved searches."""
        return searches.search_of(api_user(), search_id)

    @operation(searches_blp, None, status=204)
    def delete(self, search_id):
        """Delete one of the token holder's saved searches."""
        run_action(lambda: searches.delete_search(api_user(), search_id))


# -- bookmarks ---------------------------------------------------------------------------------


class BookmarkInSchema(Schema):
    listing_id = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_ID))


class BookmarkedListingSchema(ListingRefSchema):
    title_ko = fields.String(allow_none=True, required=True)
    title_en = fields.String(allow_none=True, required=True)


class BookmarkSchema(Schema):
    listing_id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    state = fields.String(required=True, metadata={
        "description": "available | closed | hidden | gone (no longer visible to you: "
                       "`listing` is then null)"})
    listing = fields.Nested(BookmarkedListingSchema, allow_none=True, required=True)


BookmarkPageSchema = page_schema(BookmarkSchema, "BookmarkPage")


def _bookmark_out(view: bookmarks.BookmarkView) -> dict:
    listing = view.listing
    return {"listing_id": listing.id, "created_at": view.bookmark.created_at,
            "state": view.state,
            "listing": None if not view.shows_title else {
                "id": listing.id, "kind": str(listing.kind), "status": str(listing.status),
                "title_ko": listing.title_ko, "title_en": listing.title_en}}


@bookmarks_blp.route("")
class Bookmarks(MethodView):
    @paged(bookmarks_blp, BookmarkPageSchema)
    @token_required
    def get(self, query):
        """The token holder's bookmarks, newest first, each with what became of its listing."""
        user = api_user()
        views = bookmarks.bookmarks_of(user, limit=query["per_page"], offset=offset(query))
        return page_of(query, [_bookmark_out(v) for v in views], bookmarks.bookmark_total(user))

    @bookmarks_blp.arguments(BookmarkInSchema)
    @bookmarks_blp.response(201, BookmarkSchema, description="Bookmarked.")
    @bookmarks_blp.alt_response(200, schema=BookmarkSchema,
                                description="It was bookmarked already.")
    @bookmarks_blp.alt_response(403, description="A listing of the token holder's own "
                                "organisation.")
    @bookmarks_blp.alt_response(409, description="The listing is not published, or the limit "
                                "is reached.")
    @token_required
    def post(self, data):
        """Bookmark a published listing of another organisation (a second time: no change)."""
        user = api_user()
        bookmark, new = run_action(lambda: bookmarks.add_bookmark(user, data["listing_id"]))
        return _bookmark_out(bookmarks.view_of(bookmark, user)), 201 if new else 200


@bookmarks_blp.route("/<int:listing_id>")
class BookmarkItem(MethodView):
    @operation(bookmarks_blp, None, status=204)
    def delete(self, listing_id):
        """Remove the bookmark of a listing (404 when the token holder has none)."""
        run_action(lambda: bookmarks.remove_bookmark(api_user(), listing_id))

