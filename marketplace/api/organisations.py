"""/api/v1/organisations: public profiles, and the token holder's own organisation's."""

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..accounts import profiles
from ..accounts.models import Organisation
from ..actions import run_action
from ..clock import utcnow
from ..errors import NotFound, PermissionDenied
from ..extensions import db
from .auth import api_organisation, api_user
from .routes import endpoint
from .schemas import ChangeSchema, text

blp = Blueprint("api_organisations", __name__, url_prefix="/api/v1",
                description="Organisations: public profiles; members edit their own.")


class ProfileFieldsSchema(Schema):
    description_ko = text(max_length=2000, allow_none=True)
    description_en = text(max_length=2000, allow_none=True)
    website = fields.String(allow_none=True, validate=[
        validate.Length(max=300), validate.Regexp(profiles.URL_RE.pattern)],
        metadata={"description": "a full address, https://..."})
    founded_year = fields.Integer(allow_none=True, strict=True,
                                  validate=validate.Range(1900, utcnow().year))
    employees = fields.Integer(allow_none=True, strict=True,
                               validate=validate.Range(0, profiles.MAX_EMPLOYEES))
    stage = fields.String(allow_none=True, validate=validate.OneOf(
        list(profiles.StartupStage.__members__)), metadata={"description": "startups only"})
    funding_currency = fields.String(allow_none=True,
                                     validate=validate.OneOf(profiles.CURRENCIES),
                                     metadata={"description": "of both amounts (default KRW)"})
    funding_raised = fields.Integer(allow_none=True, strict=True,
                                    validate=validate.Range(0, profiles.MAX_AMOUNT),
                                    metadata={"description": "minor units"})
    funding_sought = fields.Integer(allow_none=True, strict=True,
                                    validate=validate.Range(0, profiles.MAX_AMOUNT),
                                    metadata={"description": "minor units"})
    ir_contact_name = text(max_length=100, allow_none=True)
    ir_contact_email = fields.String(allow_none=True, validate=[
        validate.Length(max=200), validate.Regexp(profiles.EMAIL_RE.pattern)])


class OrganisationPatchSchema(ProfileFieldsSchema, ChangeSchema):
    pass


class OrganisationSchema(ProfileFieldsSchema):
    id = fields.Integer(required=True)
    name_ko = fields.String(allow_none=True, required=True)
    name_en = fields.String(allow_none=True, required=True)
    kind = fields.String(required=True)
    country = fields.String(required=True)
    verified = fields.Boolean(required=True)
    logo_url = fields.String(allow_none=True, required=True)


def _body(org: Organisation) -> dict:
    profile = profiles.profile_of(org)
    body = {"id": org.id, "name_ko": org.name_ko, "name_en": org.name_en, "kind": str(org.kind),
            "country": org.country, "verified": org.is_verified, "logo_url": None}
    body.update({name: None for name in profiles.FIELDS})
    if profile is not None:
        body.update({name: getattr(profile, name) for name in profiles.FIELDS})
        if profile.logo_key:
            body["logo_url"] = url_for("profiles.organisation_logo", org_id=org.id,
                                       lang_code="en", _external=True)
    return body


def _own() -> Organisation:
    return api_organisation(PermissionDenied, _l("Your account belongs to no organisation."))


@endpoint(blp, "/organisations/me", OrganisationSchema)
def get_mine():
    return _body(_own())


@endpoint(blp, "/organisations/me", OrganisationSchema,
          body=OrganisationPatchSchema, methods=["PATCH"])
def patch_mine(data):
    org = _own()
    return run_action(lambda: profiles.update_profile(org, api_user(), data),
                      on_success=lambda _: _body(org))


@endpoint(blp, "/organisations/<int:org_id>", OrganisationSchema, token=False)
def get_one(org_id: int):
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound(_l("This organisation does not exist."))
    return _body(org)
