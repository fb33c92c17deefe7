"""GET /api/v1/stats: the programme's public aggregates, no token needed."""

from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..errors import DomainError
from ..listings.models import SECTORS
from . import figures
from .figures import Filters

blp = Blueprint("api_stats", __name__, url_prefix="/api/v1",
                description="Programme figures: public aggregates only.")


class StatsQuerySchema(Schema):
    start = fields.Date(data_key="from", metadata={"description": "first day (YYYY-MM-DD)"})
    end = fields.Date(data_key="to", metadata={"description": "last day (YYYY-MM-DD)"})
    sector = fields.String(validate=validate.OneOf(SECTORS))

    @validates_schema
    def period_in_order(self, data, **kwargs):
        try:
            Filters(**data)
        except DomainError as exc:
            raise ValidationError({k: [str(m) for m in v]
                                   for k, v in exc.fields.items()}) from exc


def _counts():
    return fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class SectorCountSchema(Schema):
    needs = fields.Integer(required=True)
    offerings = fields.Integer(required=True)


class ListingsStatsSchema(Schema):
    needs = fields.Integer(required=True)
    offerings = fields.Integer(required=True)
    by_sector = fields.Dict(keys=fields.String(), values=fields.Nested(SectorCountSchema),
                            required=True)


class FunnelSchema(Schema):
    inquiry = fields.Integer(required=True)
    agreed = fields.Integer(required=True)
    signed = fields.Integer(required=True)
    paid = fields.Integer(required=True)


class StageDaysSchema(Schema):
    from_stage = fields.String(data_key="from", attribute="from", required=True)
    to = fields.String(required=True)
    deals = fields.Integer(required=True)
    median_days = fields.Float(allow_none=True, required=True)


class DealsStatsSchema(Schema):
    by_state = _counts()
    by_type = _counts()
    funnel = fields.Nested(FunnelSchema, required=True)
    median_days = fields.List(fields.Nested(StageDaysSchema), required=True)


class MatchCountSchema(Schema):
    made = fields.Integer(required=True)
    dismissed = fields.Integer(required=True)
    deal_opened = fields.Integer(required=True)


class MatchesStatsSchema(Schema):
    listings = fields.Nested(MatchCountSchema, required=True,
                             metadata={"description": "need x offering matches"})
    investors = fields.Nested(MatchCountSchema, required=True,
                              metadata={"description": "investor x offering matches"})


class ParticipationSchema(Schema):
    overseas_organisations = fields.Integer(required=True)
    countries = fields.Integer(required=True)
    english_users = fields.Integer(required=True)


class StatsSchema(Schema):
    listings = fields.Nested(ListingsStatsSchema, required=True)
    deals = fields.Nested(DealsStatsSchema, required=True)
    organisations = _counts()
    matches = fields.Nested(MatchesStatsSchema, required=True)
    participation = fields.Nested(ParticipationSchema, required=True)
    signed_contracts = fields.Integer(required=True)


@blp.route("/stats")
@blp.arguments(StatsQuerySchema, location="query")
@blp.response(200, StatsSchema)
def stats(query):
    """Programme figures: published listings, deals by state and type, the deal funnel,
    verified organisations by kind, matches. Optional period (`from`, `to`) and `sector`."""
    f = Filters(**query)
    deals = figures.deals_by_state_and_type(f)
    countries = figures.overseas_organisations(f)
    return {
        "listings": figures.listing_totals(figures.listings_by_sector_month(f)),
        "deals": {**deals, "funnel": figures.funnel(f), "median_days": figures.stage_days(f)},
        "organisations": {kind: v["verified"]
                          for kind, v in figures.organisations_by_kind(f).items()},
        "matches": figures.matches(f),
        "participation": {"overseas_organisations": sum(countries.values()),
                          "countries": len(countries), "english_users": figures.english_users(f)},
        "signed_contracts": sum(v["contracts"] for v in figures.contracts_signed(f).values()),
    }
