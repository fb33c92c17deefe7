"""Shapes shared by every API resource: the error envelope, organisations, and
the text fields whose rules the OpenAPI document states."""

from apispec import BasePlugin
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

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


class RecordSchema(Schema):
    """What every stored thing in an answer has: its id and when it was made."""

    id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)


class ChangeSchema(Schema):
    """A change (PATCH): at least one field."""

    OPENAPI_RULES = {"minProperties": 1}

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError(_l("Send at least one field to change."))


class ErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)


class ErrorSchema(Schema):
    """Every error: {"error": {"code", "message", "fields"}}."""

    error = fields.Nested(ErrorBodySchema, required=True)


class NamedSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class OrganisationRefSchema(NamedSchema):
    kind = fields.String(required=True)
    verified = fields.Boolean(required=True, attribute="is_verified")


# ---- contracts ------------------------------------------------------------------------------

#: A signatory's name or title: one line of at most 100 characters.
SIGNATORY_TEXT = 100


class SignatoryInSchema(Schema):
    name = text(required=True, max_length=SIGNATORY_TEXT, pattern=FILLED)
    title = text(allow_none=True, max_length=SIGNATORY_TEXT)


#: The longest text a contract detail may hold (`agreements.drafting.MAX_VARIABLE_TEXT`).
VARIABLE_TEXT = 5000


def _localised_schema() -> dict:
    one = text_schema(VARIABLE_TEXT)
    return {"anyOf": [one, {"type": "object", "additionalProperties": False,
                            "properties": {"ko": one, "en": one}}]}


def _variable_schema(spec) -> dict:
    """The JSON schema of a contract detail of `spec`'s type (documents.fields)."""
    money = {"type": "object", "additionalProperties": False, "required": ["amount", "currency"],
             "properties": {"amount": {"type": "integer", "minimum": 0},
                            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}}}
    date = {"type": "string", "format": "date"}
    if spec.type in ("string", "text"):
        return _localised_schema()
    if spec.type == "date":
        return date
    if spec.type == "money":
        return money
    if spec.type == "percent":
        return {"type": "number", "minimum": 0, "maximum": 100}
    if spec.type == "integer":
        bounds = {"minimum": spec.min} if spec.min is not None else {}
        return {"type": "integer", **bounds,
                **({"maximum": spec.max} if spec.max is not None else {})}
    if spec.type == "enum":
        return {"type": "string", "enum": list(spec.values)}
    if spec.type == "schedule":
        return {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["amount", "due"],
            "properties": {"amount": money, "due": date, "milestone": _localised_schema()}}}
    # a party: its name comes from the organisation, its representative from the signatory
    return {"type": "object", "additionalProperties": False, "properties": {
        "address": {**_localised_schema(), "nullable": True},
        "registration_no": {**text_schema(VARIABLE_TEXT), "nullable": True}}}


def contract_variables_schema() -> dict:
    """Every detail a built-in contract template takes, by name (a name two templates type
    differently takes either)."""
    from ..agreements.variables import NDA_TEMPLATE, TEMPLATE_FOR
    from ..documents import load_template

    by_name: dict[str, list[dict]] = {}
    for key in dict.fromkeys([*TEMPLATE_FOR.values(), NDA_TEMPLATE]):
        for name, spec in load_template(key).fields.items():
            schema = _variable_schema(spec)
            if schema not in by_name.setdefault(name, []):
                by_name[name].append(schema)
    properties = {name: ({"anyOf": schemas} if len(schemas) > 1 else schemas[0])
                  | {"nullable": True} for name, schemas in sorted(by_name.items())}
    return {"type": "object", "additionalProperties": False, "properties": properties}


class ContractChangeSchema(Schema):
    variables = fields.Dict(keys=fields.String(validate=validate.Length(1, 100)), metadata={
        "description": "what the draft still lacks, nested as in the template's sample.json "
                       "(`{\"licensor\": {\"address\": {\"ko\": ..., \"en\": ...}}, "
                       "\"payment_days\": 30}`); null clears a value. Details that come from "
                       "the agreed terms are refused.",
        **contract_variables_schema()})
    language = fields.String(validate=validate.OneOf(["ko", "en", "bilingual"]))
    prevailing_language = fields.String(validate=validate.OneOf(["ko", "en"]), metadata={
        "description": "with `language: bilingual`: the version that decides"})
    signatory = fields.Nested(SignatoryInSchema, metadata={
        "description": "who signs for the caller's party"})


class SignContractSchema(Schema):
    signatory_name = text(required=True, max_length=SIGNATORY_TEXT, pattern=FILLED, metadata={
        "description": "your party's signatory as the contract names it (spaces and case "
                       "aside)"})
    password = fields.String(required=True, validate=[
        validate.Length(1, 200), validate.Regexp(NO_NUL)], metadata={
        "description": "the caller's account password"})
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"),
                           metadata={"description": "the `sha256` of the PDF the caller read"})


class MissingDetailSchema(Schema):
    key = fields.String(required=True, metadata={"description": "as in fields.json, dotted"})
    label = fields.String(required=True, metadata={"description": "in the caller's language"})


class SignatorySchema(Schema):
    name = fields.String(required=True)
    title = fields.String(allow_none=True)


class ContractApprovalSchema(Schema):
    party = fields.String(required=True)
    approved_at = fields.DateTime(required=True)


class ContractSignatureSchema(Schema):
    party = fields.String(required=True)
    name = fields.String(required=True)
    signed_at = fields.DateTime(required=True)
    document_sha256 = fields.String(required=True)


class ContractSchema(Schema):
    id = fields.Integer(required=True)
    contract_no = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(required=True, metadata={
        "description": "draft | approved | rendered | signing | signed | void"})
    language = fields.String(required=True)
    prevailing_language = fields.String(required=True)
    template = fields.String(required=True)
    template_version = fields.Integer(required=True)
    terms_version = fields.Integer(required=True)
    variables = fields.Dict(required=True)
    missing = fields.List(fields.Nested(MissingDetailSchema), required=True)
    signatories = fields.Dict(keys=fields.String(),
                              values=fields.Nested(SignatorySchema, allow_none=True),
                              required=True)
    your_party = fields.String(allow_none=True, required=True, metadata={
        "description": "the caller's party in this contract (null for staff)"})
    approvals = fields.List(fields.Nested(ContractApprovalSchema), required=True)
    signatures = fields.List(fields.Nested(ContractSignatureSchema), required=True)
    sha256 = fields.String(allow_none=True, required=True, metadata={
        "description": "of the PDF to sign, once rendered"})
    signed_sha256 = fields.String(allow_none=True, required=True, metadata={
        "description": "of the final PDF, once both parties signed"})
