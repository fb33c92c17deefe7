"""Each figure as a labelled table (the pages, CSV and XLSX all show these) with the bars of its
chart. Labels are translated in the active language; numbers stay numbers."""

from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..accounts.models import OrgKind
from ..deals.states import DEAL_TYPE_LABELS, STATE_LABELS
from ..i18n.formatting import minor_to_major
from ..listings.models import SECTOR_LABELS
from . import figures
from .cache import figures_for
from .figures import Figures, Filters

STAGE_LABELS = {
    "inquiry": _l("Inquiry"),
    "agreed": _l("Terms agreed"),
    "signed": _l("Contract signed"),
    "paid": _l("Paid"),
}
MATCH_KIND_LABELS = {"listings": _l("Needs and offerings"),
                     "investors": _l("Investors and startups")}


@dataclass
class Table:
    key: str
    title: object
    headers: list
    rows: list[list]
    series: list = field(default_factory=list)  # names of the charted values
    bars: list[tuple] = field(default_factory=list)  # (label, (value, ...)) per bar group
    note: object = None

    @property
    def bar_max(self) -> float:
        return max((v for _, values in self.bars for v in values if v), default=0)


def _sector(code: str) -> str:
    return str(SECTOR_LABELS.get(code, code))


def listings_by_month(d: Figures) -> Table:
    rows = d.listings
    months: dict[str, list[int]] = {}
    for row in rows:
        month = months.setdefault(row["month"], [0, 0])
        month[0] += row["needs"]
        month[1] += row["offerings"]
    return Table("listings_by_month", _l("Published listings by month"),
                 [_l("Month"), _l("Needs"), _l("Offerings")],
                 [[m, n, o] for m, (n, o) in months.items()],
                 [_l("Needs"), _l("Offerings")],
                 [(m, (n, o)) for m, (n, o) in months.items()])


def listings(d: Figures) -> Table:
    rows = d.listings
    return Table("listings", _l("Published listings by sector and month"),
                 [_l("Month"), _l("Sector"), _l("Needs"), _l("Offerings")],
                 [[r["month"], _sector(r["sector"]), r["needs"], r["offerings"]] for r in rows],
                 note=_l("Published listings, closed ones included; drafts, archived and "
                         "hidden listings are not counted."))


def gap(d: Figures) -> Table:
    rows = figures.supply_demand_gap(d.filters, d.listings)
    return Table("gap", _l("Demand and supply by sector (open listings)"),
                 [_l("Sector"), _l("Needs"), _l("Offerings"), _l("Needs minus offerings")],
                 [[_sector(r["sector"]), r["needs"], r["offerings"], r["gap"]] for r in rows],
                 [_l("Needs"), _l("Offerings")],
                 [(_sector(r["sector"]), (r["needs"], r["offerings"])) for r in rows])


def matches(d: Figures) -> Table:
    data = d.matches
    rows = [[MATCH_KIND_LABELS[k], v["made"], v["dismissed"], v["deal_opened"]]
            for k, v in data.items()]
    return Table("matches", _l("Matches and what came of them"),
                 [_l("Match"), _l("Made"), _l("Dismissed"), _l("Deal opened")], rows,
                 [_l("Made"), _l("Dismissed"), _l("Deal opened")],
                 [(row[0], tuple(row[1:])) for row in rows])


def deal_states(d: Figures) -> Table:
    rows = [[STATE_LABELS[s], n] for s, n in d.deals["by_state"].items()]
    return Table("deal_states", _l("Deals by state"), [_l("State"), _l("Deals")], rows,
                 [_l("Deals")], [(label, (n,)) for label, n in rows])


def deal_types(d: Figures) -> Table:
    rows = [[DEAL_TYPE_LABELS[t], n] for t, n in d.deals["by_type"].items()]
    return Table("deal_types", _l("Deals by type"), [_l("Deal type"), _l("Deals")], rows,
                 [_l("Deals")], [(label, (n,)) for label, n in rows])


def funnel(d: Figures) -> Table:
    rows = [[STAGE_LABELS[s], n] for s, n in d.stages["funnel"].items()]
    return Table("funnel", _l("Deal funnel"), [_l("Stage reached"), _l("Deals")], rows,
                 [_l("Deals")], [(label, (n,)) for label, n in rows],
                 _l("Deals that ever reached each stage, whatever became of them later."))


def stage_days(d: Figures) -> Table:
    rows = [[STAGE_LABELS[r["from"]], STAGE_LABELS[r["to"]], r["deals"], r["median_days"]]
            for r in d.stages["stage_days"]]
    return Table("stage_days", _l("Median days between stages"),
                 [_l("From"), _l("To"), _l("Deals"), _l("Median days")], rows,
                 [_l("Median days")],
                 [(f"{row[0]} → {row[1]}", (row[3],)) for row in rows])


def contracts(d: Figures) -> Table:
    rows = [[currency, v["contracts"], minor_to_major(v["value"], currency)]
            for currency, v in d.contracts.items()]
    return Table("contracts", _l("Signed contracts and their value"),
                 [_l("Currency"), _l("Contracts"), _l("Value")], rows,
                 note=_l("Values in KRW and USD are shown apart and never added together."))


def organisations(d: Figures) -> Table:
    rows = [[OrgKind(k).label, v["all"], v["verified"]]
            for k, v in d.organisations["by_kind"].items()]
    return Table("organisations", _l("Organisations by kind"),
                 [_l("Kind"), _l("Registered"), _l("Verified")], rows,
                 [_l("Verified")], [(row[0], (row[2],)) for row in rows])


def overseas(d: Figures) -> Table:
    rows = [[country, n] for country, n in d.organisations["overseas"].items()]
    return Table("overseas", _l("Overseas organisations by country"),
                 [_l("Country"), _l("Organisations")], rows,
                 [_l("Organisations")], [(c, (n,)) for c, n in rows])


def english_users(d: Figures) -> Table:
    return Table("english_users", _l("Users who prefer English"),
                 [_l("Preferred language"), _l("Users")],
                 [[_l("English"), d.english_users]])


STAFF_TABLES = {t.__name__: t for t in (listings, gap, matches, deal_states, deal_types, funnel,
                                        stage_days, contracts, organisations, overseas,
                                        english_users)}


def staff_tables(f: Filters) -> list[Table]:
    d = figures_for(f)
    return [build(d) for build in STAFF_TABLES.values()]


# -- programme targets --------------------------------------------------------------------------

TARGET_LABELS = {
    "firms": _l("Verified firms"),
    "startups": _l("Verified startups"),
    "matches": _l("Matches made"),
}


def progress() -> list[dict]:
    """[{label, value, target, percent}] against the configured programme targets, over the
    whole programme (filters do not apply)."""
    targets = current_app.config["PROGRAMME_TARGETS"]
    values = figures_for(Filters()).programme
    return [{"label": TARGET_LABELS[key], "value": values[key], "target": targets[key],
             "percent": min(100, round(100 * values[key] / targets[key])) if targets[key] else 0}
            for key in TARGET_LABELS]


# -- the public page: aggregates only, no contract values, no single country ------------------

def public_organisations(d: Figures) -> Table:
    rows = [[OrgKind(k).label, v["verified"]]
            for k, v in d.organisations["by_kind"].items()]
    return Table("organisations", _l("Verified organisations by kind"),
                 [_l("Kind"), _l("Organisations")], rows,
                 [_l("Organisations")], [(row[0], (row[1],)) for row in rows])


def participation(d: Figures) -> Table:
    countries = d.organisations["overseas"]
    signed = d.contracts
    rows = [[_l("Overseas organisations"), sum(countries.values())],
            [_l("Countries outside Korea"), len(countries)],
            [_l("Users who prefer English"), d.english_users],
            [_l("Signed contracts"), sum(v["contracts"] for v in signed.values())]]
    return Table("participation", _l("International participation and contracts"),
                 [_l("Figure"), _l("Count")], rows)
