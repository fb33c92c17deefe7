"""After a bank transfer: the payee's page prefills what the NTS e-tax invoice form asks for and
records the invoice; a reminder after ten days; the receipt shows VAT and is stored when issued;
staff export the month as CSV (UTF-8 with BOM) and XLSX."""

import csv
import hashlib
import io
import subprocess
from datetime import date, timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from marketplace.accounts.models import Organisation
from marketplace.extensions import db
from marketplace.payments import ledger, tax_invoices
from marketplace.payments.models import EntryKind, StoredReceipt, TaxInvoice
from marketplace.payments.plan import local_today
from tests.conftest import login
from tests.deals.conftest import LICENSE

from .conftest import sign_deal
from .test_api import bearer

APPROVAL = "20261130-41000000-12345678"


def paid_by_transfer(app, parties):
    with app.test_request_context():
        for who, brn, name in (("seller", "1234567891", "주식회사 배터리랩"),
                               ("buyer", "2208162517", "한빛전자 주식회사")):
            org = db.session.get(Organisation, parties[who].organisation_id)
            org.business_registration_no, org.name_ko = brn, name
            org.representative_ko, org.address_ko = "김대표", "서울특별시 강남구 테헤란로 1"
            org.business_type, org.business_item = "서비스업", "소프트웨어 개발"
        db.session.commit()
        deal_id = sign_deal(parties, {**LICENSE, "vat": "standard"})
        [req] = ledger.requests_of(deal_id)
        req_id, reference = req.id, req.reference
        buyer, seller = bearer(parties["buyer"]), bearer(parties["seller"])
    client = app.test_client()
    client.post(f"/api/v1/payments/{req_id}/transfer", headers=buyer, json={
        "reference": reference, "paid_on": date.today().isoformat()})
    assert client.post(f"/api/v1/payments/{req_id}/confirm", headers=seller).status_code == 200
    return deal_id, req_id


def test_the_payee_copies_the_nts_fields_and_records_the_invoice(app, parties):
    deal_id, req_id = paid_by_transfer(app, parties)
    seller = app.test_client()
    login(seller, parties["seller"], lang="ko")
    page = seller.get(f"/ko/payments/deals/{deal_id}").get_data(as_text=True)
    assert "data-nts" in page and "123-45-67891" in page and "220-81-62517" in page
    assert "김대표" in page and "서울특별시 강남구 테헤란로 1" in page and "소프트웨어 개발" in page
    assert 'data-nts-supply="50000000"' in page and 'data-nts-vat="5000000"' in page
    assert "data-invoice-reminder" not in page                  # paid today: no reminder yet
    buyer = app.test_client()
    login(buyer, parties["buyer"], lang="ko")
    assert "data-nts" not in buyer.get(f"/ko/payments/deals/{deal_id}").get_data(as_text=True)

    bad = seller.post(f"/ko/payments/requests/{req_id}/tax-invoice", data={
        f"i{req_id}-approval_no": "12345", f"i{req_id}-issued_on": date.today().isoformat()})
    assert bad.status_code == 400 and "24자리 승인번호" in bad.get_data(as_text=True)
    assert buyer.post(f"/ko/payments/requests/{req_id}/tax-invoice", data={
        f"i{req_id}-approval_no": APPROVAL,
        f"i{req_id}-issued_on": date.today().isoformat()}).status_code == 403
    done = seller.post(f"/ko/payments/requests/{req_id}/tax-invoice", data={
        f"i{req_id}-approval_no": APPROVAL, f"i{req_id}-issued_on": date.today().isoformat()})
    assert done.status_code == 303
    page = buyer.get(f"/ko/payments/deals/{deal_id}").get_data(as_text=True)
    assert f"전자세금계산서 {APPROVAL}" in page
    with app.app_context():
        invoice = db.session.scalar(sa.select(TaxInvoice))
        assert invoice.approval_no == APPROVAL.replace("-", "")
        assert invoice.recorded_by_id == parties["seller"].id


def test_ten_days_after_the_payment_without_an_invoice_the_payee_is_reminded(app, parties):
    deal_id, req_id = paid_by_transfer(app, parties)
    with app.test_request_context():
        req = ledger.requests_of(deal_id)[0]
        current = ledger.balance(req)
        paid = tax_invoices.paid_on(current)
        assert not tax_invoices.needs_reminder(req, current, paid + timedelta(days=10))
        assert tax_invoices.needs_reminder(req, current, paid + timedelta(days=11))


def test_the_receipt_shows_supply_value_vat_and_total_and_is_stored(app, parties, tmp_path):
    deal_id, req_id = paid_by_transfer(app, parties)
    with app.app_context():
        confirmed = next(e for e in ledger.ledger_of(deal_id)
                         if e.kind == EntryKind.transfer_confirmed)
    buyer = app.test_client()
    login(buyer, parties["buyer"], lang="ko")
    response = buyer.get(f"/ko/payments/entries/{confirmed.id}/receipt.pdf")
    assert response.status_code == 200
    path = tmp_path / "receipt.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    for words in ("공급가액", "Supply value", "₩50,000,000", "부가가치세", "₩5,000,000",
                  "₩55,000,000", "220-81-62517", "123-45-67891", "사업자등록번호"):
        assert words in text, words
    buyer.get(f"/ko/payments/entries/{confirmed.id}/receipt.pdf")     # the same bytes again
    with app.app_context():
        [stored] = db.session.scalars(sa.select(StoredReceipt)).all()
        assert stored.ledger_entry_id == confirmed.id
        assert stored.sha256 == hashlib.sha256(response.data).hexdigest()
        assert stored.pdf == response.data


def test_staff_export_the_month_as_csv_with_bom_and_xlsx(app, parties):
    deal_id, req_id = paid_by_transfer(app, parties)
    with app.app_context():  # the month as the platform counts it, in Seoul
        month = local_today().strftime("%Y-%m")
    outsider = app.test_client()
    login(outsider, parties["seller"], lang="ko")
    assert outsider.get(f"/ko/payments/staff/export?month={month}").status_code == 404
    staff = app.test_client()
    login(staff, parties["staff"], lang="ko")
    response = staff.get(f"/ko/payments/staff/export?month={month}&format=csv")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "접수일 Date received" and len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["공급가액 Supply value"] == "50000000" and row["부가가치세 VAT"] == "5000000"
    assert row["합계 Total"] == "55000000"
    assert row["지급인 사업자등록번호 Payer BRN"] == "2208162517"
    xlsx = staff.get(f"/ko/payments/staff/export?month={month}&format=xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][8:11] == (50_000_000, 5_000_000, 55_000_000)
    assert staff.get("/ko/payments/staff/export?month=2026-13").status_code == 400
