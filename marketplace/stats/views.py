from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _

from ..accounts.access import staff_required
from ..errors import DomainError
from ..i18n.dates import parse_date
from . import exports, privacy, tables
from .cache import figures_for
from .figures import Filters

bp = Blueprint("stats", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/stats", url_prefix="/<lang:lang_code>")

FORMATS = {
    "csv": (exports.to_csv, "text/csv; charset=utf-8"),
    "xlsx": (exports.to_xlsx,
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def _filters() -> tuple[Filters | None, DomainError | None]:
    try:
        return Filters.from_args(request.args, parse_date=parse_date), None
    except DomainError as exc:
        return None, exc


def _page(template: str, build, **context):
    """The page with its figures, or (400) with the filter form saying what is wrong."""
    filters, error = _filters()
    context["sector_choices"] = sector_choices()
    if error:
        return render_template(template, filters=Filters(), error=error, tables=[],
                               **context), 400
    return render_template(template, filters=filters, error=None, tables=build(filters),
                           **context)


@bp.route("/ecosystem")
def ecosystem():
    """The programme in figures, for everyone: aggregates only."""
    return _page("stats/ecosystem.html", privacy.public_tables)


@bp.route("/staff/dashboards")
@staff_required
def dashboards():
    return _page("stats/dashboards.html", tables.staff_tables, progress=tables.progress())


@bp.route("/staff/dashboards/<key>.<fmt>")
@staff_required
def download(key, fmt):
    build = tables.STAFF_TABLES.get(key)
    if build is None or fmt not in FORMATS:
        abort(404)
    filters, error = _filters()
    if error:
        raise error
    write, mimetype = FORMATS[fmt]
    filename = f"{key}.{fmt}"
    return Response(write(build(figures_for(filters))), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def sector_choices():
    from ..listings.models import SECTOR_LABELS

    return [("", _("All sectors"))] + [(code, label) for code, label in SECTOR_LABELS.items()]
