"""Hidden listings, failed jobs and undelivered e-mail: the queues with a page of their own here
(a failed job or e-mail is run again from it, audited)."""

from datetime import timedelta
from functools import wraps

import sqlalchemy as sa
from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from .. import audit, jobs
from ..accounts.access import staff_required
from ..actions import done, flash_and_redirect, run_action
from ..audit import AuditEntry
from ..clock import utcnow
from ..errors import DomainError
from ..extensions import db
from ..jobs import JobOutbox, JobRun
from ..listings.models import Listing
from ..mail.models import OutboxMessage
from ..mail.services import deliver
from .blueprint import PER_PAGE, bp
from .forms import ReasonForm

#: A message still queued after this long did not go out (its delivery job failed or waits).
UNDELIVERED_AFTER = timedelta(minutes=15)


def _not_retried():
    """Failed runs nobody has run again from the console (the audit trail says who did)."""
    retried = sa.select(AuditEntry.subject_id).where(AuditEntry.kind == "job_retried",
                                                     AuditEntry.subject_type == "job_runs")
    return sa.and_(JobRun.status == "failed", JobRun.id.not_in(retried))


def _stuck_outbox():
    """Jobs that could not be handed to the queue (the reason is kept on the row)."""
    return sa.and_(JobOutbox.handed_over_at.is_(None), JobOutbox.last_error.is_not(None))


def _undelivered():
    return sa.and_(OutboxMessage.status == "queued",
                   OutboxMessage.created_at < utcnow() - UNDELIVERED_AFTER)


def hidden_listings_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Listing)
                             .where(Listing.hidden_at.is_not(None)))


@bp.route("/hidden-listings")
@staff_required
def hidden_listings():
    """Listings staff hid, oldest first, with who hid them and why (shown again from here)."""
    listings = db.paginate(sa.select(Listing).where(Listing.hidden_at.is_not(None))
                           .order_by(Listing.hidden_at),
                           page=request.args.get("page", 1, type=int), per_page=PER_PAGE,
                           error_out=False)
    return render_template("staff/hidden_listings.html", listings=listings,
                           form=ReasonForm(formdata=None))


def failed_jobs_count() -> int:
    return db.session.scalar(sa.select(
        sa.select(sa.func.count()).select_from(JobRun).where(_not_retried())
        .scalar_subquery()
        + sa.select(sa.func.count()).select_from(JobOutbox).where(_stuck_outbox())
        .scalar_subquery()))


def undelivered_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(_undelivered()))


@bp.route("/failed")
@staff_required
def failed():
    runs = db.session.scalars(sa.select(JobRun).where(_not_retried())
                              .order_by(JobRun.id.desc()).limit(PER_PAGE)).all()
    waiting = db.session.scalars(sa.select(JobOutbox).where(_stuck_outbox())
                                 .order_by(JobOutbox.id).limit(PER_PAGE)).all()
    messages = db.session.scalars(sa.select(OutboxMessage).where(_undelivered())
                                  .options(selectinload(OutboxMessage.deal))
                                  .order_by(OutboxMessage.id).limit(PER_PAGE)).all()
    return render_template("staff/failed.html", runs=runs, waiting=waiting, messages=messages,
                           form=ReasonForm(formdata=None))


def _retry(rule: str, model, status: str):
    """A staff POST at `rule` running a `model` row again (404 unless its status is `status`):
    with a reason given, the decorated `retry(row, reason)` queues and audits it in one
    transaction and returns what to flash; back to the failed list either way."""
    def register(retry):
        @bp.route(rule, methods=["POST"], endpoint=retry.__name__)
        @staff_required
        @wraps(retry)
        def view(**ids):
            row = db.session.get(model, *ids.values())
            if row is None or row.status != status:
                abort(404)
            form = ReasonForm()
            back = url_for("staff.failed")
            if not form.validate_on_submit():
                return redirect(back, code=303)
            return run_action(lambda: retry(row, form.reason.data),
                              on_success=lambda message: done(message, back)(row),
                              on_error=flash_and_redirect(back, code=303), reraise=())
        return view
    return register


@_retry("/failed/jobs/<int:run_id>/retry", JobRun, "failed")
def retry_job(run, reason):
    try:
        fn, _spec = jobs._lookup(run.name)
    except (ImportError, KeyError):
        raise DomainError(_l("This job no longer exists in the code, so it cannot run "
                             "again.")) from None
    jobs.enqueue(fn, *run.args.get("args", []), **run.args.get("kwargs", {}))
    audit.record(current_user, "job_retried", run, reason)
    return _("The job will run again.")


@_retry("/failed/emails/<int:message_id>/retry", OutboxMessage, "queued")
def retry_email(message, reason):
    jobs.enqueue(deliver, message.id)
    audit.record(current_user, "email_retried", message, reason)
    return _("The e-mail will be sent again.")
