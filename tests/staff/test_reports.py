"""The monthly programme report: a bilingual PDF of a month's figures, made by the monthly job
and on demand, stored with its SHA-256 and downloaded from the console."""

import hashlib
import subprocess
from datetime import date

import pytest
import sqlalchemy as sa

from marketplace.audit import AuditEntry
from marketplace.extensions import db
from marketplace.staff import reports
from marketplace.staff.models import ProgrammeReport
from tests.conftest import login


@pytest.fixture(autouse=True)
def report_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PROGRAMME_REPORT_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, check=True,
                          capture_output=True).stdout.decode()


def test_on_demand_report_is_bilingual_stored_and_downloadable(app, client, make_user,
                                                                programme, report_dir):
    staff = make_user(kind="agency", role="staff")
    login(client, staff)
    assert client.post("/en/staff/reports", data={"month": "2026-02"}).status_code == 303
    page = client.get("/en/staff/reports").get_data(as_text=True)
    assert 'data-report="2026-02"' in page
    with app.app_context():
        report = db.session.scalars(sa.select(ProgrammeReport)).one()
        assert report.month == date(2026, 2, 1) and report.created_by_id == staff.id
        stored = (report_dir / report.filename).read_bytes()
        assert hashlib.sha256(stored).hexdigest() == report.sha256
        assert db.session.scalar(sa.select(AuditEntry.kind)) == "report_generated"
        report_id = report.id
    response = client.get(f"/en/staff/reports/{report_id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Tech Trade-On 사업 보고서: 2026-02" in text
    assert "Tech Trade-On programme report: 2026-02" in text
    assert "2026-02-01" in text and "2026-02-28" in text
    assert "거래 단계별 전환" in text and "Deal funnel" in text
    # February by hand: D3 and D4 opened; D3 reached inquiry, agreed, signed and paid.
    funnel = text.split("Deal funnel", 1)[1].split("Median days", 1)[0]
    assert [line.split()[-1] for line in funnel.splitlines()
            if line.strip().startswith(("Inquiry", "Paid"))][-2:] == ["2", "1"]


def test_a_changed_file_is_not_served(app, client, make_user, programme, report_dir):
    staff = make_user(kind="agency", role="staff")
    with app.test_request_context():
        report = reports.generate(date(2026, 1, 1))
        db.session.commit()
        (report_dir / report.filename).write_bytes(b"%PDF-1.7 tampered")
        report_id = report.id
    login(client, staff)
    response = client.get(f"/ko/staff/reports/{report_id}.pdf", follow_redirects=True)
    assert response.mimetype == "text/html"
    assert "지문(해시)이 맞지 않습니다" in response.get_data(as_text=True)


@pytest.mark.parametrize("month", ["2026-13", "26-02", "", "2999-01"])
def test_bad_months_are_refused_in_korean(client, make_user, month):
    staff = make_user(kind="agency", role="staff")
    login(client, staff)
    response = client.post("/ko/staff/reports", data={"month": month})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "is-invalid" in body


def test_monthly_job_reports_the_month_just_ended_once(app, programme, monkeypatch):
    monkeypatch.setattr(reports, "previous_month", lambda: date(2026, 3, 1))
    with app.app_context():
        first = reports.monthly_programme_report()
        db.session.commit()
        assert reports.monthly_programme_report() is None  # already made: left alone
        rows = db.session.scalars(sa.select(ProgrammeReport)).all()
        assert [(r.id, r.month, r.created_by_id) for r in rows] == [
            (first, date(2026, 3, 1), None)]


def test_monthly_job_is_periodic():
    from marketplace import jobs

    assert ("marketplace.staff.reports.monthly_programme_report", 24 * 3600) in jobs.PERIODIC


def test_previous_month():
    assert reports.previous_month(date(2026, 1, 15)) == date(2025, 12, 1)
    assert reports.previous_month(date(2026, 3, 1)) == date(2026, 2, 1)
