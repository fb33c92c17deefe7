"""A bilingual (Korean, then English) PDF receipt for one settled payment.

The same pipeline as the contracts: WeasyPrint, A4, PDF/A-3b, the project's own Korean font
files named by `@font-face` (`documents.pdf.font_face_css`), and the documents' URL fetcher, so
the page can load its stylesheet from `receipt/` and the font files and nothing else. The words
come from the payments catalogs in both languages; organisation names and references are
escaped. The same ledger row gives the same bytes (no clock goes into the file); a refund
recorded later shows on the next download.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.exc import IntegrityError
from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.text.fonts import FontConfiguration

from ..deals.states import DEAL_TYPE_LABELS
from ..documents.fields import format_date_value, format_money, format_percent_value
from ..documents.pdf import PDF_VARIANT, ContractURLFetcher, font_face_css
from ..extensions import db
from .ledger import balance
from .models import EntryKind, LedgerEntry, StoredReceipt
from .tax_invoices import brn, formatted
from .tax_invoices import invoice_of as tax_invoice

FOLDER = Path(__file__).resolve().parent / "receipt"
LANGS = ("ko", "en")

LABELS = {
    "title": _l("Receipt"),
    "issuer": _l("Issued by Tech Trade-On"),
    "receipt_no": _l("Receipt number"),
    "paid_on": _l("Date received"),
    "payer": _l("Received from"),
    "payee": _l("Paid to"),
    "payer_no": _l("Business registration number of the payer"),
    "payee_no": _l("Business registration number of the payee"),
    "deal": _l("Deal"),
    "purpose": _l("For"),
    "amount": _l("Amount received"),
    "method": _l("Payment method"),
    "reference": _l("Payment reference"),
    "terms": _l("Terms version"),
    "supply_value": _l("Supply value"),
    "vat": _l("VAT"),
    "request_amount": _l("Amount of this payment request"),
    "tax_invoice": _l("E-tax invoice approval number"),
    "fee": _l("Platform fee included"),
    "net": _l("To the payee after the fee"),
    "refunded": _l("Refunded since"),
    "footer": _l("This receipt was issued electronically by Tech Trade-On for a payment under "
                 "the signed terms of the deal named above. Amounts are in the currency shown."),
}


@dataclass(frozen=True)
class Receipt:
    pdf: bytes
    sha256: str
    filename: str


def _both(fn) -> dict[str, str]:
    """`fn()` rendered once per language, as {"ko": ..., "en": ...}."""
    out = {}
    for lang in LANGS:
        with force_locale(lang):
            out[lang] = str(fn(lang))
    return out


def _same(value) -> dict[str, str]:
    return {lang: str(value) for lang in LANGS}


def _local_date(entry: LedgerEntry):
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return (entry.value_date if entry.kind == EntryKind.transfer_confirmed and entry.value_date
            else entry.created_at.astimezone(tz).date())


def rows_for(entry: LedgerEntry) -> list[dict]:
    req = entry.payment_request
    deal = req.deal

    def money(amount):
        return _both(lambda lang: format_money({"amount": amount, "currency": entry.currency},
                                               lang))

    def org(o):
        return {"ko": o.name_ko or o.name_en or "", "en": o.name_en or o.name_ko or ""}

    refunded = sum(e.amount for e in balance(req).entries if e.kind == EntryKind.refunded
                   and e.related_entry_id == entry.id)
    reference = entry.reference if entry.kind == EntryKind.transfer_confirmed \
        else entry.provider_payment_intent or entry.provider_ref or ""
    rows = [
        ("paid_on", _both(lambda lang: format_date_value(_local_date(entry), lang)), {}),
        ("payer", org(req.payer), {}),
        ("payee", org(req.payee), {}),
        ("payer_no", _same(brn(req.payer.business_registration_no) or "—"), {"mono": True}),
        ("payee_no", _same(brn(req.payee.business_registration_no) or "—"), {"mono": True}),
        ("deal", _both(lambda lang: f"#{deal.id} {deal.title} · "
                                    f"{DEAL_TYPE_LABELS[deal.deal_type]}"), {}),
        ("purpose", _both(lambda lang: f"{req.purpose_label} ({req.seq}/{req.count})"), {}),
        ("terms", _same(req.terms_version), {}),
        ("amount", money(entry.amount), {"amount": True}),
        ("method", _both(lambda lang: entry.method.label), {}),
        ("reference", _same(reference or "—"), {"mono": True}),
        ("supply_value", money(req.supply_value), {}),
        ("vat", money(req.vat), {}),
        ("request_amount", money(req.amount), {}),
    ]
    invoice = tax_invoice(req)
    if invoice is not None:
        rows.append(("tax_invoice", _same(f"{formatted(invoice.approval_no)} "
                                          f"({invoice.issued_on.isoformat()})"), {"mono": True}))
    if req.fee_amount:
        rows.append(("fee", _both(lambda lang: "{} ({})".format(
            format_money({"amount": req.fee_amount, "currency": req.currency}, lang),
            format_percent_value(req.fee_percent, lang))), {}))
        rows.append(("net", money(req.net_amount), {}))
    if refunded:
        rows.append(("refunded", money(refunded), {}))
    labels = _labels()
    return [{"label": {lang: labels[lang][key] for lang in LANGS}, "value": value,
             "amount": extra.get("amount", False), "mono": extra.get("mono", False)}
            for key, value, extra in rows]


def _labels() -> dict[str, dict[str, str]]:
    labels = {}
    for lang in LANGS:
        with force_locale(lang):
            labels[lang] = {key: str(value) for key, value in LABELS.items()}
    return labels


def render_html(entry: LedgerEntry) -> str:
    env = Environment(loader=FileSystemLoader(FOLDER), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, auto_reload=False)
    return env.get_template("receipt.html").render(
        L=_labels(), r={"receipt_no": entry.receipt_no}, rows=rows_for(entry))


def render_receipt(entry: LedgerEntry) -> Receipt:
    """The receipt PDF of a settled payment (a card payment or a confirmed transfer)."""
    if entry.kind not in (EntryKind.succeeded, EntryKind.transfer_confirmed):
        raise ValueError("only a settled payment has a receipt")
    html = render_html(entry)
    fetcher = ContractURLFetcher(FOLDER)
    base_url = FOLDER.as_uri() + "/"
    font_config, counter_style = FontConfiguration(), CounterStyle()
    fonts = CSS(string=font_face_css(), base_url=base_url, url_fetcher=fetcher,
                font_config=font_config, counter_style=counter_style)
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
        stylesheets=[fonts], font_config=font_config, counter_style=counter_style)
    with warnings.catch_warnings():
        # WeasyPrint 70 opens its sRGB profile for PDF/A and never closes the file.
        warnings.filterwarnings("ignore", message=r"unclosed file .*sRGB2014\.icc",
                                category=ResourceWarning)
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
    return Receipt(pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(),
                   filename=f"{entry.receipt_no}.pdf")


def issue(entry: LedgerEntry) -> Receipt:
    """The receipt as it is now, kept (PDF and hash) the first time these bytes are issued."""
    doc = render_receipt(entry)
    if not db.session.scalar(sa.select(StoredReceipt.id).where(
            StoredReceipt.ledger_entry_id == entry.id, StoredReceipt.sha256 == doc.sha256)):
        try:
            with db.session.begin_nested():  # two downloads at once keep one copy
                db.session.add(StoredReceipt(ledger_entry_id=entry.id, sha256=doc.sha256,
                                             pdf=doc.pdf))
        except IntegrityError:
            pass
    return doc
