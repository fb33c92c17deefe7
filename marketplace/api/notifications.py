"""/api/v1/notifications: the token holder's notices, titles in their language, and marking
them read."""

from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..extensions import db
from ..notifications import services
from .auth import api_user
from .language import TITLES_LANG, answer_language
from .routes import endpoint
from .schemas import RecordSchema

blp = Blueprint("api_notifications", __name__, url_prefix="/api/v1",
                description="Notifications: what the token holder should know.")


class NotificationQuerySchema(Schema):
    lang = TITLES_LANG
    unread = fields.Boolean(load_default=False, metadata={"description": "unread ones only"})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class SubjectSchema(Schema):
    type = fields.String(required=True)
    id = fields.Integer(required=True)


class NoticeSchema(RecordSchema):
    """A notice as its reader sees it (also the desk's news)."""

    kind = fields.String(required=True)
    title = fields.String(required=True)
    url = fields.String(required=True)
    read = fields.Boolean(required=True)


class NotificationSchema(NoticeSchema):
    subject = fields.Nested(SubjectSchema, required=True)


class NotificationPageSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    unread = fields.Integer(required=True)


class StrictBoolean(fields.Boolean):
    """true or false only (not 0, 1 or "yes"), as the document says."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class MarkReadSchema(Schema):
    OPENAPI_RULES = {"anyOf": [{"required": ["ids"]}, {"required": ["all"]}]}

    ids = fields.List(fields.Integer(strict=True, validate=validate.Range(1, 2**31 - 1)),
                      validate=validate.Length(max=500),
                      metadata={"description": "the notifications to mark read"})
    all = StrictBoolean(metadata={"description": "true: mark every notification read"})

    @validates_schema
    def ids_or_all(self, data, **kwargs):
        if "ids" not in data and "all" not in data:
            raise ValidationError({"ids": [_l("Send the ids of the notifications to mark as "
                                              "read, or all: true.")]})


class MarkedSchema(Schema):
    marked = fields.Integer(required=True)
    unread = fields.Integer(required=True)


@endpoint(blp, "/notifications", NotificationPageSchema, query=NotificationQuerySchema)
def notifications(query):
    user = api_user()
    items = []
    with answer_language(query) as lang:
        for notice in services.notifications_for(user, query["limit"], query["unread"]):
            view = services.rendered(notice)
            if view is None:
                continue
            items.append({"id": notice.id, "kind": notice.kind, "title": view.title,
                          "url": services.link(view, lang, external=True),
                          "created_at": notice.created_at, "read": notice.read_at is not None,
                          "subject": {"type": notice.subject_type, "id": notice.subject_id}})
    return {"items": items, "unread": services.unread_count(user)}


@endpoint(blp, "/notifications/read", MarkedSchema, body=MarkReadSchema, methods=["POST"])
def mark_read(data):
    user = api_user()
    marked = services.mark_read(user, None if data.get("all") else data.get("ids") or [])
    db.session.commit()
    return {"marked": marked, "unread": services.unread_count(user)}
