"""The audit page: every staff and admin action, filtered by person, kind and period."""

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..accounts.access import admin_required
from ..accounts.models import Role, User
from ..audit import KIND_LABELS, AuditEntry
from ..errors import DomainError
from ..extensions import db
from .blueprint import PER_PAGE, bp


def audit_filters(args) -> dict:
    """{"actor": user id, "kind", "start", "end": dates} from the query string; a DomainError
    naming the fields that are wrong."""
    errors, out = {}, {"actor": None, "kind": None, "start": None, "end": None}
    actor = (args.get("actor") or "").strip()
    if actor:
        if actor.isdigit():
            out["actor"] = int(actor)
        else:
            errors["actor"] = [_l("Choose a person from the list.")]
    kind = (args.get("kind") or "").strip()
    if kind:
        if kind in KIND_LABELS:
            out["kind"] = kind
        else:
            errors["kind"] = [_l("Choose a kind of action from the list.")]
    for key, name in (("from", "start"), ("to", "end")):
        raw = (args.get(key) or "").strip()
        try:
            out[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            errors[key] = [_l("Enter a date as YYYY-MM-DD.")]
    if not errors and out["start"] and out["end"] and out["start"] > out["end"]:
        errors["from"] = [_l("The start date must not be after the end date.")]
    if errors:
        raise DomainError(_l("Check the filters."), errors)
    return out


def audit_query(filters: dict):
    stmt = sa.select(AuditEntry).options(selectinload(AuditEntry.actor))
    if filters["actor"]:
        stmt = stmt.where(AuditEntry.actor_id == filters["actor"])
    if filters["kind"]:
        stmt = stmt.where(AuditEntry.kind == filters["kind"])
    if filters["start"]:
        stmt = stmt.where(AuditEntry.created_at >= datetime.combine(filters["start"], time(),
                                                                     UTC))
    if filters["end"]:
        stmt = stmt.where(AuditEntry.created_at < datetime.combine(
            filters["end"] + timedelta(days=1), time(), UTC))
    return stmt.order_by(AuditEntry.id.desc())


def subject_url(entry: AuditEntry) -> str | None:
    if entry.subject_type == "organisations":
        return url_for("accounts.organisation", org_id=entry.subject_id)
    if entry.subject_type == "users":
        return url_for("staff.users", q=f"#{entry.subject_id}")
    if entry.subject_type == "listings":
        return url_for("staff.search", q=f"#{entry.subject_id}")
    if entry.subject_type == "deals":
        return url_for("deals.detail", deal_id=entry.subject_id)
    if entry.subject_type == "programme_reports":
        return url_for("staff.download_report", report_id=entry.subject_id)
    return None


@bp.route("/audit")
@admin_required
def audit():
    people = db.session.scalars(sa.select(User).where(User.role != Role.member)
                                .order_by(User.display_name)).all()
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    context = {"people": people, "kinds": KIND_LABELS, "args": args,
               "subject_url": subject_url,
               "role_labels": {role.value: role.label for role in Role}}
    try:
        filters = audit_filters(request.args)
    except DomainError as exc:
        return render_template("staff/audit.html", entries=None, error=exc, **context), 400
    entries = db.paginate(audit_query(filters), page=request.args.get("page", 1, type=int),
                          per_page=PER_PAGE, error_out=False)
    return render_template("staff/audit.html", entries=entries, error=None, **context)
