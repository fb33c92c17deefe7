"""A figure's table as a CSV (UTF-8 with a BOM, so Excel reads the Korean labels right) or an
XLSX workbook."""

import csv
import io
from decimal import Decimal

from openpyxl import Workbook

from .tables import Table


def _cell(value):
    if value is None or isinstance(value, int | float | Decimal | str):
        return value
    return str(value)  # a lazy label, in the active language


def _rows(table: Table) -> list[list]:
    return [[_cell(h) for h in table.headers]] + [[_cell(v) for v in row] for row in table.rows]


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(_rows(table))
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.key[:31]
    for row in _rows(table):
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
