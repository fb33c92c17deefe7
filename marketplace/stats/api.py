"""GET /api/v1/stats: the programme's public aggregates, no token needed."""

from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..errors import DomainError
from ..listings.models import SECTORS
from . import figures, privacy
from .cache import figures_for
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


WITHHELD = ("null: fewer than STATS_MIN_CELL (but some), withheld so that no single deal "
            "can be recognised")


def _count(**kwargs):
    """A count of deals or matches: null when it is a small cell."""
    return fields.Integer(required=True, allow_none=True, metadata={"description": WITHHELD},
                          **kwargs)


def _counts(values=None):
    return fields.Dict(keys=fields.String(), values=values or fields.Integer(), required=True)


class SectorCountSchema(Schema):
    needs = fields.Integer(required=True)
    offerings = fields.Integer(required=True)


class ListingsStatsSchema(SectorCountSchema):
    by_sector = fields.Dict(keys=fields.String(), values=fields.Nested(SectorCountSchema),
                            required=True)


class FunnelSchema(Schema):
    inquiry = _count()
    agreed = _count()
    signed = _count()
    paid = _count()


class StageDaysSchema(Schema):
    from_stage = fields.String(data_key="from", attribute="from", required=True)
    to = fields.String(required=True)
    deals = _count()
    median_days = fields.Float(allow_none=True, required=True,
                               metadata={"description": "null: no deal, or too few to show"})


class DealsStatsSchema(Schema):
    by_state = _counts(fields.Integer(allow_none=True))
    by_type = _counts(fields.Integer(allow_none=True))
    funnel = fields.Nested(FunnelSchema, required=True)
    median_days = fields.List(fields.Nested(StageDaysSchema), required=True)


class MatchCountSchema(Schema):
    made = _count()
    dismissed = _count()
    deal_opened = _count()


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
    signed_contracts = _count()


@blp.route("/stats")
@blp.arguments(StatsQuerySchema, location="query")
@blp.response(200, StatsSchema)
def stats(query):
    """Programme figures: published listings, deals by state and type, the deal funnel,
    verified organisations by kind, matches. Optional period (`from`, `to`) and `sector`.
    A count of deals or matches below STATS_MIN_CELL (not zero) is null, and so are the
    days between stages over fewer deals: a small cell could reveal a single deal."""
    d = figures_for(Filters(**query))
    countries = d.organisations["overseas"]
    return {
        "listings": figures.listing_totals(d.listings),
        "deals": {**privacy.counts(d.deals), "funnel": privacy.counts(d.stages["funnel"]),
                  "median_days": privacy.stage_days(d.stages["stage_days"])},
        "organisations": {kind: v["verified"] for kind, v in d.organisations["by_kind"].items()},
        "matches": privacy.counts(d.matches),
        "participation": {"overseas_organisations": sum(countries.values()),
                          "countries": len(countries), "english_users": d.english_users},
        "signed_contracts": privacy.count(sum(v["contracts"] for v in d.contracts.values())),
    }
