"""Shapes shared by every API resource: the error envelope, pagination, organisations."""

from marshmallow import Schema, fields, validate


class ErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)


class ErrorSchema(Schema):
    """Every error: {"error": {"code", "message", "fields"}}."""

    error = fields.Nested(ErrorBodySchema, required=True)


class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 1000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class OrganisationRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    verified = fields.Boolean(required=True, attribute="is_verified")


def page_schema(item_schema, name: str):
    """A list answer: {items, page, per_page, total}."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema), required=True),
        "page": fields.Integer(required=True),
        "per_page": fields.Integer(required=True),
        "total": fields.Integer(required=True),
    }, name=name)
