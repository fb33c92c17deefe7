"""Small cells withheld from the public figures.

A count of deals or matches smaller than `STATS_MIN_CELL` (but not zero) could single out one
deal: a sector with one signed deal shows that deal's state and, through the medians, its pace.
The public page and `GET /api/v1/stats` therefore withhold such a count (`null` in the API,
"fewer than N" on the page), and a median over fewer deals than that. Zero stays: it reveals no
deal. Staff dashboards and the monthly report show exact numbers. Listings and organisations are
public one by one already, so their counts are shown as they are.
"""

from dataclasses import replace

from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import escape

from . import tables
from .cache import figures_for
from .figures import Filters
from .tables import Table


def minimum() -> int:
    return int(current_app.config["STATS_MIN_CELL"])


def withheld(n, least: int | None = None) -> bool:
    least = minimum() if least is None else least
    return isinstance(n, int) and not isinstance(n, bool) and 0 < n < least


def count(n, least: int | None = None):
    """`n`, or None when it is a small cell."""
    return None if withheld(n, least) else n


def counts(data: dict) -> dict:
    """A {name: count} mapping with its small cells withheld (nested mappings too)."""
    least = minimum()
    return {k: counts(v) if isinstance(v, dict) else count(v, least) for k, v in data.items()}


def stage_days(rows: list[dict]) -> list[dict]:
    """Days between stages: the count and the median withheld over too few deals."""
    least = minimum()
    return [{**row, "deals": None, "median_days": None} if withheld(row["deals"], least)
            else row for row in rows]


def label():
    return _l("fewer than %(n)s", n=minimum())


def table(t: Table, columns: tuple[int, ...], *, by_row: int | None = None,
          only_rows: tuple[int, ...] | None = None) -> Table:
    """`t` with its small cells in `columns` (of `only_rows`, or every row) shown as "fewer
    than N", and the chart's bars of those cells left out. With `by_row`, a small count in that
    column withholds the row's `columns` and its whole bar group (a median over too few deals)."""
    least, shown = minimum(), label()
    rows, bars = [], list(t.bars)
    for r, row in enumerate(t.rows):
        row = list(row)
        if only_rows is None or r in only_rows:
            whole = by_row is not None and withheld(row[by_row], least)
            gone = [i for i in columns if whole or withheld(row[i], least)]
            for i in gone:
                row[i] = shown
            if gone and len(bars) == len(t.rows):  # one bar group per row
                bar_label, values = bars[r]
                if whole or len(values) != len(columns):
                    values = tuple(None for _ in values)
                else:  # the group charts the row's `columns`, in order
                    values = tuple(None if columns[j] in gone else v
                                   for j, v in enumerate(values))
                bars[r] = (bar_label, values)
        rows.append(row)
    note = _l("Counts of deals and matches below %(n)s are not shown, so that no single deal "
              "can be recognised.", n=least)
    return replace(t, rows=rows, bars=bars, note=Notes(t.note, note))


class Notes:
    """Two notes shown as one paragraph."""

    def __init__(self, *parts):
        self.parts = parts

    def __str__(self) -> str:
        return " ".join(str(p) for p in self.parts if p)

    def __html__(self) -> str:
        return str(escape(str(self)))


def public_tables(f: Filters) -> list[Table]:
    """The public page's tables; counts of deals and matches too small to be shown are
    withheld."""
    d = figures_for(f)
    return [tables.listings_by_month(d), tables.gap(d),
            table(tables.matches(d), (1, 2, 3)), table(tables.funnel(d), (1,)),
            table(tables.stage_days(d), (2, 3), by_row=2),
            table(tables.deal_states(d), (1,)), tables.public_organisations(d),
            table(tables.participation(d), (1,), only_rows=(3,))]
