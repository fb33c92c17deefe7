"""/api/v1/{needs,offerings}/{id}/questions and /api/v1/questions/{id}/answer: questions before
a deal, with the same rules and notices as the listing pages."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..extensions import db
from ..listings.vocabulary import ListingKind
from ..questions import services
from ..questions.models import MAX_ANSWER, MAX_QUESTION, ListingQuestion
from .auth import api_user, token_required
from .listing_kinds import listing_or_404, per_kind
from .routes import endpoint
from .schemas import FILLED, RecordSchema, text

blp = Blueprint("api_questions", __name__, url_prefix="/api/v1",
                description="Questions to a listing's organisation before a deal.")


class QuestionSchema(RecordSchema):
    listing_id = fields.Integer(required=True)
    body = fields.String(required=True)
    answer = fields.String(required=True, allow_none=True)
    answered_at = fields.DateTime(required=True, allow_none=True)
    private = fields.Boolean(required=True, metadata={
        "description": "answered for the asking organisation only"})
    hidden = fields.Boolean(required=True, attribute="is_hidden", metadata={
        "description": "hidden by staff (only staff see such a question)"})
    asker_organisation = fields.Method("_asker", required=True, allow_none=True, metadata={
        "description": "the asking organisation, for the two organisations and staff; else "
                       "null"})

    def _asker(self, question):
        user = api_user()
        if question.is_party(user) or (user is not None and user.is_staff):
            return {"id": question.asker_org.id, "name": question.asker_org.name}
        return None


class QuestionListSchema(Schema):
    items = fields.List(fields.Nested(QuestionSchema), required=True)


class AskSchema(Schema):
    body = text(pattern=FILLED, max_length=MAX_QUESTION, required=True)


class AnswerSchema(Schema):
    answer = text(pattern=FILLED, max_length=MAX_ANSWER, required=True)
    private = fields.Boolean(load_default=False)


@per_kind(blp, "/questions", "{path}_questions")
def _questions_route(kind: ListingKind, path: str):
    @blp.response(200, QuestionListSchema)
    def listed(listing_id):
        listing = listing_or_404(kind, listing_id)
        return {"items": services.questions_for(listing, api_user())}

    listed.__doc__ = (f"The questions on one of the {path} that the caller may see: answered "
                      "public ones for everyone; unanswered and private ones for the two "
                      "organisations; hidden ones for staff.")
    return listed


@per_kind(blp, "/questions", "ask_{path}", methods=["POST"])
def _ask_route(kind: ListingKind, path: str):
    @blp.arguments(AskSchema)
    @blp.response(201, QuestionSchema)
    @token_required
    def ask(data, listing_id):
        listing = listing_or_404(kind, listing_id)
        question = services.ask(listing, api_user(), data["body"])
        db.session.commit()
        return question

    ask.__doc__ = (f"Ask the organisation behind one of the {path} a question (published "
                   "listings of another organisation only). Its members are notified.")
    return ask


@endpoint(blp, "/questions/<int:question_id>/answer", QuestionSchema,
          body=AnswerSchema, methods=["POST"])
def answer(data, question_id):
    """Answer a question on your organisation's listing, once; `private` keeps the question
    and the answer between the two organisations. The asker's organisation is notified."""
    user = api_user()
    question: ListingQuestion = services.get_question_or_404(question_id, user)
    services.answer(question, user, data["answer"], data["private"])
    db.session.commit()
    return question
