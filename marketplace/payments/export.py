"""A month's payments and their tax invoices for the books, as CSV (UTF-8 with a BOM, so that
Excel opens Korean text right) and XLSX. One row per payment received (a card payment or a
confirmed bank transfer), in the order received; the month is the platform's local month."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from openpyxl import Workbook

from ..extensions import db
from .models import MONEY_IN, LedgerEntry
from .tax_invoices import formatted, invoice_of

HEADER = ("접수일 Date received", "거래 Deal", "영수증 번호 Receipt no.",
          "지급인 Payer", "지급인 사업자등록번호 Payer BRN", "수취인 Payee",
          "수취인 사업자등록번호 Payee BRN", "통화 Currency", "공급가액 Supply value",
          "부가가치세 VAT", "합계 Total", "받은 금액 Amount received", "결제 수단 Method",
          "참조 Reference", "세금계산서 승인번호 Tax invoice approval no.",
          "세금계산서 작성일 Tax invoice date")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """`YYYY-MM` as the local month's first instant and the next month's; ValueError if not."""
    first = date.fromisoformat(f"{month}-01")
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return (datetime.combine(first, time(), tz), datetime.combine(following, time(), tz))


def rows(month: str) -> list[tuple]:
    start, end = month_bounds(month)
    tz = start.tzinfo
    entries = db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.kind.in_(MONEY_IN), LedgerEntry.created_at >= start,
        LedgerEntry.created_at < end).order_by(LedgerEntry.id))
    out = []
    for e in entries:
        req = e.payment_request
        invoice = invoice_of(req)
        out.append((
            e.created_at.astimezone(tz).date().isoformat(), req.deal_id, e.receipt_no,
            req.payer.name_ko or req.payer.name_en, req.payer.business_registration_no or "",
            req.payee.name_ko or req.payee.name_en, req.payee.business_registration_no or "",
            req.currency, req.supply_value, req.vat, req.amount, e.amount,
            str(e.method.label) if e.method else "",
            e.reference or e.provider_payment_intent or "",
            formatted(invoice.approval_no) if invoice else "",
            invoice.issued_on.isoformat() if invoice else ""))
    return out


def _safe(value):
    """A cell a spreadsheet will not run as a formula (`=`, `+`, `-`, `@` at the start)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def as_csv(month: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows([_safe(v) for v in row] for row in rows(month))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(month: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = month
    sheet.append(HEADER)
    for row in rows(month):
        sheet.append([_safe(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
