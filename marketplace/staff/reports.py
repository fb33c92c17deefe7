"""The monthly programme report: a month's figures and charts as one bilingual PDF (Korean,
then English), made by a daily job for the month just ended and on demand, kept under
PROGRAMME_REPORT_DIR with its SHA-256, listed and downloaded in the console."""

import hashlib
import secrets
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from .. import audit, jobs
from ..accounts.access import staff_required
from ..accounts.models import User
from ..documents.pdf import ContractURLFetcher, font_face_css
from ..errors import DomainError
from ..extensions import db
from ..stats import tables
from ..stats.figures import Filters
from .blueprint import PER_PAGE, bp
from .forms import MonthForm
from .models import ProgrammeReport

FONT_FOLDER = Path(__file__).resolve().parent / "templates" / "staff"
#: WeasyPrint styles SVG from attributes, not from the page's stylesheet: the charts' colours
#: and sizes (as in stats.css) are written onto their bars and labels.
SVG_ATTRIBUTES = {
    **{f'class="stats-bar stats-series-{i}"': f'fill="{colour}"'
       for i, colour in enumerate(("#0d6efd", "#fd7e14", "#198754"))},
    'class="stats-label"': 'font-size="12" fill="#212529"',
    'class="stats-value"': 'font-size="11" fill="#495057"',
}


def parse_month(text: str) -> date:
    """The first day of a `YYYY-MM` month that has begun; a DomainError otherwise."""
    try:
        month = datetime.strptime((text or "").strip(), "%Y-%m").date()
    except ValueError:
        raise DomainError(_l("Enter the month as YYYY-MM."),
                          {"month": [_l("Enter the month as YYYY-MM.")]}) from None
    if month > datetime.now(UTC).date() or month.year < 2000:
        raise DomainError(_l("Choose a month that has already begun."),
                          {"month": [_l("Choose a month that has already begun.")]})
    return month


def month_filters(month: date) -> Filters:
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return Filters(start=month, end=following - timedelta(days=1))


def report_html(month: date) -> str:
    """The report's HTML: the month's figures in Korean, then in English."""
    f = month_filters(month)
    sections = []
    for lang in ("ko", "en"):
        with force_locale(lang):
            sections.append(render_template(
                "staff/report_section.html", lang=lang, month=month, filters=f,
                tables=tables.staff_tables(f), progress=tables.progress()))
    html = render_template("staff/report_pdf.html", sections=sections, month=month)
    for css_class, attributes in SVG_ATTRIBUTES.items():
        html = html.replace(css_class, f"{css_class} {attributes}")
    return html


def render_pdf(month: date) -> bytes:
    """WeasyPrint, with the contracts' fonts and nothing fetched but them."""
    fetcher = ContractURLFetcher(FONT_FOLDER)
    fonts = FontConfiguration()
    base_url = FONT_FOLDER.as_uri() + "/"
    css = [CSS(string=font_face_css(), base_url=base_url, url_fetcher=fetcher,
               font_config=fonts)]
    return HTML(string=report_html(month), base_url=base_url, url_fetcher=fetcher).write_pdf(
        stylesheets=css, font_config=fonts)


def report_dir() -> Path:
    return Path(current_app.config["PROGRAMME_REPORT_DIR"])


def generate(month: date, actor: User | None = None) -> ProgrammeReport:
    """Render, store and record the month's report (flushes; the caller commits)."""
    pdf = render_pdf(month)
    folder = report_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"programme-{month:%Y-%m}-{secrets.token_hex(4)}.pdf"
    (folder / name).write_bytes(pdf)
    report = ProgrammeReport(month=month, filename=name, sha256=hashlib.sha256(pdf).hexdigest(),
                             size=len(pdf), created_by_id=actor.id if actor else None)
    db.session.add(report)
    db.session.flush()
    if actor is not None:
        audit.record(actor, "report_generated", report)
    return report


def previous_month(today: date | None = None) -> date:
    today = today or datetime.now(UTC).date()
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


@jobs.periodic(24 * 3600)
@jobs.job(queue="default", timeout=600, retries=1)
def monthly_programme_report() -> int | None:
    """Daily: the report of the month just ended, once (a month already reported is left)."""
    month = previous_month()
    if db.session.scalar(sa.select(ProgrammeReport.id).where(ProgrammeReport.month == month)):
        return None
    return generate(month).id


@jobs.job(queue="default", timeout=600, retries=1)
def programme_report(month_iso: str, actor_id: int) -> int:
    """A report asked for in the console (each request makes a new one)."""
    return generate(date.fromisoformat(month_iso), db.session.get(User, actor_id)).id


@bp.route("/reports", methods=["GET", "POST"])
@staff_required
def reports():
    form = MonthForm()
    status = 200
    if form.validate_on_submit():
        try:
            month = parse_month(form.month.data)
        except DomainError as exc:
            form.month.errors = [str(m) for m in exc.fields["month"]]
            status = 400
        else:
            jobs.enqueue(programme_report, month.isoformat(), current_user.id)
            db.session.commit()
            flash(_("The report is being prepared; it appears in the list when it is ready."),
                  "info")
            return redirect(url_for("staff.reports"), code=303)
    elif request.method == "POST":
        status = 400
    listed = db.paginate(sa.select(ProgrammeReport).order_by(ProgrammeReport.month.desc(),
                                                             ProgrammeReport.id.desc()),
                         page=request.args.get("page", 1, type=int), per_page=PER_PAGE,
                         error_out=False)
    return render_template("staff/reports.html", form=form, reports=listed), status


@bp.route("/reports/<int:report_id>.pdf")
@staff_required
def download_report(report_id):
    report = db.get_or_404(ProgrammeReport, report_id)
    path = report_dir() / report.filename
    data = path.read_bytes() if path.is_file() else None
    if data is None or hashlib.sha256(data).hexdigest() != report.sha256:
        flash(_("The stored file of this report is missing or no longer matches its "
                "fingerprint. Generate the month again."), "danger")
        return redirect(url_for("staff.reports"), code=303)
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="programme-{report.month:%Y-%m}.pdf"'})
