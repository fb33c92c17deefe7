"""The programme's figures: one function per figure, each ONE aggregate SQL query that reads the
same on SQLite and PostgreSQL.

Every function takes `Filters` (an optional period, by calendar day in UTC, and a sector) and
returns plain Python data. What each figure counts:

- listings: needs and offerings that were published and are not hidden by staff; a closed
  listing still counts (it was on the market), a draft, an archived or a hidden one does not.
  The period is on `published_at`, the month is its UTC month.
- gap: listings open now (published, not hidden), needs minus offerings by sector (from the
  same query as the listings).
- matches: stored need x offering and investor x offering matches (period on `computed_at`),
  how many either side dismissed and how many became a deal between the same two parties.
  "I am interested" opens the deal form, so a deal opened is the interest the records keep.
- deals: by state and type; the funnel counts deals that EVER reached a stage, from the event
  log; the period is on the deal's opening, the sector is its offering's.
- stage days: one query gives each deal's days between first reaching one stage and the
  next (computed in SQL); the medians are taken in Python (SQLite has no median function).
- contracts: signed contracts by currency with the value of the signed terms (KRW and USD are
  never added together).
- organisations: by kind, all and verified; overseas ones (country other than KR) by country;
  members (not staff) who prefer English. The period is on `created_at`; the sector does not apply.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..accounts.models import Organisation, OrgKind, Role, User, Verification
from ..agreements.models import Contract, ContractStatus
from ..deals.models import Deal, DealEvent, DealState, DealTerms, DealType
from ..errors import DomainError
from ..extensions import db
from ..listings.models import SECTORS, Listing, ListingKind, ListingStatus
from ..matching.records import InvestorMatch, Match
from . import models as _indexes  # noqa: F401 - the indexes these queries use

FUNNEL_STAGES = ("inquiry", "agreed", "signed", "paid")
STAGE_SPANS = (("inquiry", "agreed"), ("agreed", "signed"), ("signed", "paid"))
CURRENCIES = ("KRW", "USD")


@dataclass(frozen=True)
class Filters:
    start: date | None = None  # first day, inclusive
    end: date | None = None    # last day, inclusive
    sector: str | None = None

    def __post_init__(self):
        errors = {}
        if self.start and self.end and self.start > self.end:
            errors["from"] = [_l("The start date must not be after the end date.")]
        if self.sector is not None and self.sector not in SECTORS:
            errors["sector"] = [_l("Choose a sector from the list.")]
        if errors:
            raise DomainError(_l("Check the filters."), errors)

    @classmethod
    def from_args(cls, args, parse_date=None) -> "Filters":
        """Filters from a query string (`from`, `to` as YYYY-MM-DD, `sector`); pages pass
        `parse_date` to read dates as people type them (its ValueError carries the message)."""
        errors, values = {}, {}
        for key, name in (("from", "start"), ("to", "end")):
            raw = (args.get(key) or "").strip()
            try:
                values[name] = (parse_date or date.fromisoformat)(raw) if raw else None
            except ValueError as exc:
                errors[key] = [getattr(exc, "message", None) or _l("Enter a date as YYYY-MM-DD.")]
        if errors:
            raise DomainError(_l("Check the filters."), errors)
        return cls(sector=(args.get("sector") or "").strip() or None, **values)

    @property
    def is_empty(self) -> bool:
        return not (self.start or self.end or self.sector)

    def as_args(self) -> dict:
        args = {"from": self.start and self.start.isoformat(),
                "to": self.end and self.end.isoformat(), "sector": self.sector}
        return {key: value for key, value in args.items() if value}

    def period(self, column) -> list:
        """Conditions keeping `column` (a UTC timestamp) within the period."""
        conditions = []
        if self.start:
            conditions.append(column >= datetime.combine(self.start, time(), UTC))
        if self.end:
            conditions.append(column < datetime.combine(self.end + timedelta(days=1), time(),
                                                         UTC))
        return conditions

    def in_sector(self, column) -> list:
        return [column == self.sector] if self.sector else []


class MonthText(sa.types.TypeDecorator):
    """`YYYY-MM` from either a month's text (SQLite) or its first moment (PostgreSQL)."""

    impl = sa.String()
    cache_ok = True

    def process_result_value(self, value, dialect):
        if isinstance(value, datetime):  # strftime took 30 µs a row here
            return f"{value.year:04d}-{value.month:02d}"
        return value


class month_of(FunctionElement):  # noqa: N801 - reads like the SQL function it renders
    """The UTC month of a timestamp, grouped by cheaply on each database."""

    type = MonthText()
    inherit_cache = True


@compiles(month_of, "sqlite")
def _month_sqlite(element, compiler, **kw):
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


@compiles(month_of, "postgresql")
def _month_postgresql(element, compiler, **kw):
    return f"date_trunc('month', {compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC')"


class days_between(FunctionElement):  # noqa: N801
    """Days (with fractions) from the first UTC timestamp to the second."""

    type = sa.Float()
    inherit_cache = True


@compiles(days_between, "sqlite")
def _days_sqlite(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(julianday({end}) - julianday({start}))"


@compiles(days_between, "postgresql")
def _days_postgresql(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end}) - ({start})) / 86400.0)"


def _count_if(condition):
    return sa.func.count(sa.case((condition, 1)))


# -- listings -----------------------------------------------------------------------------------

def listings_by_sector_month(f: Filters) -> list[dict]:
    """[{sector, month, needs, offerings, open_needs, open_offerings}] of posted listings by
    sector and month; `open_*` count those still published (not closed)."""
    month = month_of(Listing.published_at)
    groups = (Listing.sector, month, Listing.kind, Listing.status)
    rows = db.session.execute(
        sa.select(*groups, sa.func.count())
        .where(Listing.status.in_([ListingStatus.published, ListingStatus.closed]),
               Listing.hidden_at.is_(None), Listing.published_at.is_not(None),
               *f.period(Listing.published_at), *f.in_sector(Listing.sector))
        .group_by(*groups))
    # One COUNT(*) per group, pivoted and sorted here: PostgreSQL then hashes the groups
    # instead of sorting every listing (as it did with an ORDER BY or four COUNT(CASE)s).
    out: dict[tuple, dict] = {}
    for sector, month_text, kind, status, n in rows:
        row = out.setdefault((month_text, sector), {
            "sector": sector, "month": month_text, "needs": 0, "offerings": 0,
            "open_needs": 0, "open_offerings": 0})
        plural = "needs" if kind == ListingKind.need else "offerings"
        row[plural] += n
        if status == ListingStatus.published:
            row[f"open_{plural}"] += n
    return [out[key] for key in sorted(out)]


def listing_totals(rows: list[dict]) -> dict:
    """The API's listing block from `listings_by_sector_month` rows (no further query)."""
    by_sector: dict[str, dict] = {}
    for row in rows:
        entry = by_sector.setdefault(row["sector"], {"needs": 0, "offerings": 0})
        entry["needs"] += row["needs"]
        entry["offerings"] += row["offerings"]
    return {"needs": sum(e["needs"] for e in by_sector.values()),
            "offerings": sum(e["offerings"] for e in by_sector.values()),
            "by_sector": dict(sorted(by_sector.items()))}


def supply_demand_gap(f: Filters, rows: list[dict] | None = None) -> list[dict]:
    """[{sector, needs, offerings, gap}] of listings open now; gap > 0: more demand. Summed
    from `listings_by_sector_month` (its rows may be passed in, to spare the query)."""
    rows = listings_by_sector_month(f) if rows is None else rows
    by_sector: dict[str, list[int]] = {}
    for row in rows:
        counts = by_sector.setdefault(row["sector"], [0, 0])
        counts[0] += row["open_needs"]
        counts[1] += row["open_offerings"]
    return [{"sector": s, "needs": n, "offerings": o, "gap": n - o}
            for s, (n, o) in sorted(by_sector.items()) if n or o]


# -- matches ------------------------------------------------------------------------------------

def matches(f: Filters) -> dict:
    """{"listings"|"investors": {made, dismissed, deal_opened}}."""
    def in_sector(column) -> list:
        return ([column.in_(sa.select(Listing.id).where(Listing.sector == f.sector))]
                if f.sector else [])

    pair_deals = sa.select(Deal.offering_id, Deal.need_id).distinct().subquery()
    investor_deals = sa.select(Deal.offering_id, Deal.buyer_org_id).distinct().subquery()
    pairs = (sa.select(sa.literal("listings"), sa.func.count(),
                       _count_if(sa.or_(Match.need_dismissed_at.is_not(None),
                                        Match.offering_dismissed_at.is_not(None))),
                       sa.func.count(pair_deals.c.offering_id))
             .outerjoin(pair_deals, sa.and_(pair_deals.c.offering_id == Match.offering_id,
                                            pair_deals.c.need_id == Match.need_id))
             .where(*f.period(Match.computed_at), *in_sector(Match.offering_id)))
    investors = (sa.select(sa.literal("investors"), sa.func.count(),
                           _count_if(InvestorMatch.dismissed_at.is_not(None)),
                           sa.func.count(investor_deals.c.offering_id))
                 .outerjoin(investor_deals, sa.and_(
                     investor_deals.c.offering_id == InvestorMatch.offering_id,
                     investor_deals.c.buyer_org_id == InvestorMatch.investor_org_id))
                 .where(*f.period(InvestorMatch.computed_at),
                        *in_sector(InvestorMatch.offering_id)))
    return {kind: {"made": made, "dismissed": dismissed, "deal_opened": deal}
            for kind, made, dismissed, deal in db.session.execute(sa.union_all(pairs, investors))}


# -- deals --------------------------------------------------------------------------------------

def _events_of_deals(query, f: Filters):
    """`query` on deal events, joined to their deals only when a filter needs the deal."""
    if f.is_empty:
        return query
    return query.join(Deal, Deal.id == DealEvent.deal_id).where(*_deal_filters(f))


def _deal_filters(f: Filters) -> list:
    conditions = f.period(Deal.created_at)
    if f.sector:
        conditions.append(Deal.offering_id.in_(
            sa.select(Listing.id).where(Listing.sector == f.sector)))
    return conditions


def deals_by_state_and_type(f: Filters) -> dict:
    """{"by_state": {state: n}, "by_type": {deal_type: n}} (every state and type, zeros too)."""
    rows = db.session.execute(
        sa.select(Deal.state, Deal.deal_type, sa.func.count())
        .where(*_deal_filters(f)).group_by(Deal.state, Deal.deal_type))
    by_state = {s.value: 0 for s in DealState}
    by_type = {t.value: 0 for t in DealType}
    for state, deal_type, n in rows:
        by_state[str(state)] += n
        by_type[str(deal_type)] += n
    return {"by_state": by_state, "by_type": by_type}


def deal_stages(f: Filters) -> dict:
    """{"funnel": {stage: deals that ever reached it}, "stage_days": [{from, to, deals,
    median_days}]} from ONE pass over the stage events: each deal's first moment at each
    stage; then the deals that reached each stage and, per span, the days over the deals that
    reached both ends, with their median (None when no deal did). The median is taken in SQL,
    as half the sum of the one or two middle values: the arithmetic of `statistics.median`, so
    the same on SQLite and PostgreSQL, without fetching a row per deal."""
    firsts = _events_of_deals(
        sa.select(DealEvent.deal_id, *[
            sa.func.min(sa.case((DealEvent.to_state == stage, DealEvent.created_at))).label(stage)
            for stage in FUNNEL_STAGES]).where(DealEvent.to_state.in_(FUNNEL_STAGES)), f)
    firsts = firsts.group_by(DealEvent.deal_id).cte("firsts")
    # Every span ends at or after `agreed`: only deals that agreed have one.
    spans = (sa.select(*[sa.cast(days_between(firsts.c[start], firsts.c[end]), sa.Float)
                         .label(f"span{i}") for i, (start, end) in enumerate(STAGE_SPANS)])
             .where(firsts.c.agreed.is_not(None)).cte("spans"))

    def median_of(value):
        ranked = (sa.select(value.label("v"), sa.func.row_number().over(order_by=value).label("rn"),
                            sa.func.count().over().label("n"))
                  .where(value.is_not(None)).subquery())
        return (sa.select((sa.func.min(ranked.c.v) + sa.func.max(ranked.c.v)) / 2)
                .where(ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
                .scalar_subquery())

    columns = [spans.c[f"span{i}"] for i in range(len(STAGE_SPANS))]
    reached = sa.select(*[sa.func.count(firsts.c[stage]) for stage in FUNNEL_STAGES]).subquery()
    counted = sa.select(*[sa.func.count(c) for c in columns]).subquery()
    row = db.session.execute(sa.select(*reached.c, *counted.c, *[median_of(c) for c in columns])
                             .select_from(reached.join(counted, sa.true()))).one()
    n = len(FUNNEL_STAGES)
    deals, medians = row[n:n + len(STAGE_SPANS)], row[n + len(STAGE_SPANS):]
    return {"funnel": dict(zip(FUNNEL_STAGES, row[:n], strict=True)),
            "stage_days": [{"from": start, "to": end, "deals": count,
                            "median_days": round(median, 1) if count else None}
                           for (start, end), count, median
                           in zip(STAGE_SPANS, deals, medians, strict=True)]}


def funnel(f: Filters) -> dict:
    """{stage: deals that ever reached it} for inquiry, agreed, signed, paid."""
    return deal_stages(f)["funnel"]


def stage_days(f: Filters) -> list[dict]:
    """[{from, to, deals, median_days}]: days from first reaching one stage to the next, median
    over the deals that reached both (None when none did)."""
    return deal_stages(f)["stage_days"]


# -- contracts ----------------------------------------------------------------------------------

def _term(name: str):
    return sa.cast(DealTerms.fields[name].as_string(), sa.BigInteger)


def contract_value():
    """The headline amount of a deal's terms, in minor units: the licence's upfront fee, the
    transfer price, the PoC fee, quantity x unit price of a supply, the investment amount.
    Joint development names no amount (0)."""
    return sa.func.coalesce(_term("price"), _term("upfront_fee"), _term("fee"), _term("amount"),
                            _term("quantity") * _term("unit_price"), 0)


def contracts_signed(f: Filters) -> dict:
    """{currency: {"contracts": n, "value": minor units}} for KRW and USD (zeros too)."""
    rows = db.session.execute(
        sa.select(DealTerms.currency, sa.func.count(), sa.func.sum(contract_value()))
        .select_from(Contract)
        .join(DealTerms, sa.and_(DealTerms.deal_id == Contract.deal_id,
                                 DealTerms.version == Contract.terms_version))
        .where(Contract.status == ContractStatus.signed, *f.period(Contract.signed_at),
               *[Contract.deal_id.in_(sa.select(Deal.id).where(*_deal_filters(
                   Filters(sector=f.sector))))] if f.sector else [])
        .group_by(DealTerms.currency))
    out = {c: {"contracts": 0, "value": 0} for c in CURRENCIES}
    for currency, n, value in rows:
        out[currency] = {"contracts": n, "value": int(value or 0)}
    return out


# -- organisations ------------------------------------------------------------------------------

def organisations(f: Filters) -> dict:
    """{"by_kind": {kind: {"all": n, "verified": n}} (every kind, zeros too), "overseas":
    {country: organisations} for every country other than KR, largest first}: ONE query
    counting organisations by kind, country and verification."""
    rows = db.session.execute(
        sa.select(Organisation.kind, Organisation.country, Organisation.verification,
                  sa.func.count())
        .where(*f.period(Organisation.created_at))
        .group_by(Organisation.kind, Organisation.country, Organisation.verification))
    by_kind = {k.value: {"all": 0, "verified": 0} for k in OrgKind}
    overseas: dict[str, int] = {}
    for kind, country, verification, n in rows:
        entry = by_kind[str(kind)]
        entry["all"] += n
        entry["verified"] += n if verification == Verification.verified else 0
        if country != "KR":
            overseas[country] = overseas.get(country, 0) + n
    return {"by_kind": by_kind,
            "overseas": dict(sorted(overseas.items(), key=lambda item: (-item[1], item[0])))}


def organisations_by_kind(f: Filters) -> dict:
    """{kind: {"all": n, "verified": n}} (every kind, zeros too)."""
    return organisations(f)["by_kind"]


def overseas_organisations(f: Filters) -> dict:
    """{country: organisations} for every country other than KR, largest first."""
    return organisations(f)["overseas"]


def english_users(f: Filters) -> int:
    """Active members (not staff) whose preferred language is English."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(User)
        .where(User.preferred_language == "en", User.active.is_(True), User.role == Role.member,
               *f.period(User.created_at)))


# -- programme targets --------------------------------------------------------------------------

def programme_counts() -> dict:
    """{"firms", "startups": verified organisations, "matches": all stored matches}, over the
    whole programme: what the targets are measured against."""
    def verified(kind):
        return (sa.select(sa.func.count()).select_from(Organisation)
                .where(Organisation.kind == kind,
                       Organisation.verification == Verification.verified).scalar_subquery())

    def rows(model):
        return sa.select(sa.func.count()).select_from(model).scalar_subquery()

    firms, startups, pairs, investors = db.session.execute(sa.select(
        verified(OrgKind.firm), verified(OrgKind.startup), rows(Match),
        rows(InvestorMatch))).one()
    return {"firms": firms, "startups": startups, "matches": pairs + investors}


def _figure(compute) -> cached_property:
    """A figure of `Figures`: `compute(filters)`, run once per instance."""
    return cached_property(lambda self: compute(self.filters))


class Figures:
    """Every figure for one set of filters, each query run at most once however many tables
    show it (the pages, the API, the downloads and the monthly report read these)."""

    def __init__(self, filters: Filters):
        self.filters = filters

    listings = _figure(listings_by_sector_month)
    matches = _figure(matches)
    deals = _figure(deals_by_state_and_type)
    stages = _figure(deal_stages)
    contracts = _figure(contracts_signed)
    organisations = _figure(organisations)
    english_users = _figure(english_users)

    @cached_property
    def programme(self) -> dict:
        """`programme_counts()`: over the whole programme, whatever the filters."""
        return programme_counts()
