"""Shapes shared by every API resource: the error envelope, pagination, organisations, and
the text fields whose rules the OpenAPI document states."""

from apispec import BasePlugin
from marshmallow import Schema, fields, validate

#: No text may hold a NUL (PostgreSQL cannot store it; such a request is refused unread).
NO_NUL = r"^[^\x00]*$"
#: A title or a summary is one line (a trailing line break is trimmed).
ONE_LINE = r"^[^\x00\n]*$"
#: Required text: not only spaces.
FILLED = r"^[^\x00]*[^\x00\s][^\x00]*$"


def text(*, pattern: str = NO_NUL, max_length: int | None = None, **kwargs) -> fields.String:
    """A string field whose pattern and length are both enforced and documented."""
    error = {ONE_LINE: "Use a single line.", FILLED: "This field is required."}.get(
        pattern, "Not a valid text.")
    validators = [validate.Regexp(pattern, error=error)]
    if max_length is not None:
        validators.append(validate.Length(max=max_length))
    return fields.String(validate=validators, **kwargs)


def text_schema(max_length: int, filled: bool = False) -> dict:
    """The JSON schema of such a text, for shapes written by hand; `filled`: not blank."""
    schema = {"type": "string", "maxLength": max_length, "pattern": NO_NUL}
    if filled:
        schema["pattern"] = FILLED
    return schema


class SchemaRulesPlugin(BasePlugin):
    """Adds a schema's `OPENAPI_RULES` (JSON-schema keywords about several fields at once, such
    as `anyOf` sets of required fields) to its component in the document."""

    def schema_helper(self, name, definition, **kwargs):
        return getattr(kwargs.get("schema"), "OPENAPI_RULES", None)


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
