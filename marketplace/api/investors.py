"""/api/v1/investor-profile: an investor's interest profile, and the startups ranked for it."""

from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..accounts.models import OrgKind
from ..actions import run_action
from ..errors import NotFound
from ..listings.vocabulary import CURRENCIES, SECTORS
from ..matching import profiles, startups
from ..matching.records import REGION_LABELS, InvestorStage
from .auth import api_user
from .language import answer_language, lang_field
from .routes import endpoint
from .schemas import ChangeSchema, NamedSchema, text

PROFILE_FIELDS = ("sectors", "stages", "ticket_min", "ticket_max", "regions", "languages",
                  "thesis", "keywords", "trl_min", "trl_max")

blp = Blueprint("api_investors", __name__, url_prefix="/api/v1",
                description="Investors: the interest profile and the startups that fit it.")


class InvestorProfileSchema(Schema):
    sectors = fields.List(fields.String(), required=True)
    stages = fields.List(fields.String(), required=True)
    ticket_currency = fields.String(allow_none=True, required=True)
    ticket_min = fields.Integer(allow_none=True, required=True,
                                metadata={"description": "minor units"})
    ticket_max = fields.Integer(allow_none=True, required=True,
                                metadata={"description": "minor units"})
    regions = fields.List(fields.String(), required=True)
    languages = fields.List(fields.String(), required=True)
    thesis = fields.String(allow_none=True)
    keywords = fields.List(fields.String())
    trl_min = fields.Integer(allow_none=True)
    trl_max = fields.Integer(allow_none=True)
    version = fields.Integer(dump_only=True)


def _codes(allowed) -> fields.List:
    return fields.List(fields.String(validate=validate.OneOf(list(allowed))),
                       validate=validate.Length(max=len(allowed)))


class InvestorProfilePatchSchema(ChangeSchema):
    sectors = _codes(SECTORS)
    stages = _codes([s.value for s in InvestorStage])
    ticket_currency = fields.String(allow_none=True, validate=validate.OneOf(CURRENCIES))
    ticket_min = fields.Integer(allow_none=True, strict=True,
                                validate=validate.Range(0, profiles.MAX_TICKET - 1))
    ticket_max = fields.Integer(allow_none=True, strict=True,
                                validate=validate.Range(0, profiles.MAX_TICKET - 1))
    regions = _codes(REGION_LABELS)
    languages = _codes(["ko", "en"])
    thesis = text(max_length=5000, allow_none=True)
    keywords = fields.List(text(max_length=40), validate=validate.Length(max=20))
    trl_min = fields.Integer(allow_none=True, strict=True, validate=validate.Range(1, 9))
    trl_max = fields.Integer(allow_none=True, strict=True, validate=validate.Range(1, 9))


class OfferingFitSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    score = fields.Float(required=True)


class StartupMatchSchema(Schema):
    organisation = fields.Nested(NamedSchema, required=True)
    score = fields.Float(required=True)
    explanation = fields.String(required=True, metadata={"description": "in the language asked"})
    reasons = fields.List(fields.String(), required=True)
    ask_for_language = fields.String(allow_none=True, required=True, metadata={
        "description": "ko or en: none of its offerings is written in your languages"})
    offerings = fields.List(fields.Nested(OfferingFitSchema), required=True)


class StartupMatchesSchema(Schema):
    items = fields.List(fields.Nested(StartupMatchSchema), required=True)


class MatchesQuerySchema(Schema):
    lang = lang_field()
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 50))


def _investor_profile(required: bool = True):
    org = api_user().organisation
    if org is None or org.kind != OrgKind.investor:
        raise NotFound(_l("Only investors keep an interest profile."))
    profile = profiles.profile_for(org)
    if profile is None and required:
        raise NotFound(_l("You have no interest profile yet."))
    return profile


def _body(profile) -> dict:
    body = {name: getattr(profile, name) for name in PROFILE_FIELDS}
    return body | {"ticket_currency": profile.currency, "version": profile.version}


@endpoint(blp, "/investor-profile", InvestorProfileSchema)
def get_profile():
    return _body(_investor_profile())


@endpoint(blp, "/investor-profile", InvestorProfileSchema,
          body=InvestorProfilePatchSchema, methods=["PATCH"])
def patch_profile(data):
    current = _investor_profile(required=False)
    merged = ({name: getattr(current, name) for name in PROFILE_FIELDS}
              | {"currency": current.currency}) if current else {}
    if "ticket_currency" in data:
        data["currency"] = data.pop("ticket_currency")
    merged.update(data)
    return run_action(lambda: profiles.save_profile(api_user(), merged), on_success=_body)


@endpoint(blp, "/investor-profile/matches", StartupMatchesSchema, query=MatchesQuerySchema)
def matches(query):
    items = []
    with answer_language(query) as lang:
        for fit in startups.ranked_startups(_investor_profile(), query["limit"]):
            items.append({
                "organisation": {"id": fit.organisation.id, "name": fit.organisation.name},
                "score": fit.score, "explanation": fit.text(lang), "reasons": fit.parts(lang),
                "ask_for_language": fit.missing_language,
                "offerings": [{"id": o.listing.id, "title": o.listing.text("title", lang),
                               "score": round(o.score, 6)} for o in fit.offerings]})
    return {"items": items}
