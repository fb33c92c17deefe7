"""Hidden listings, failed jobs and undelivered e-mail: the queues with a page of their own here
(a failed job or e-mail is run again from it, audited)."""

from datetime import timedelta

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from .. import audit, jobs
from ..accounts.access import staff_required
from ..audit import AuditEntry
from ..clock import utcnow
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


@bp.route("/failed/jobs/<int:run_id>/retry", methods=["POST"])
@staff_required
def retry_job(run_id):
    run = db.session.get(JobRun, run_id)
    if run is None or run.status != "failed":
        abort(404)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            fn, _spec = jobs._lookup(run.name)
        except (ImportError, KeyError):
            flash(_("This job no longer exists in the code, so it cannot run again."), "danger")
            return redirect(url_for("staff.failed"), code=303)
        jobs.enqueue(fn, *run.args.get("args", []), **run.args.get("kwargs", {}))
        audit.record(current_user, "job_retried", run, form.reason.data)
        db.session.commit()
        flash(_("The job will run again."), "success")
    return redirect(url_for("staff.failed"), code=303)


@bp.route("/failed/emails/<int:message_id>/retry", methods=["POST"])
@staff_required
def retry_email(message_id):
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status != "queued":
        abort(404)
    form = ReasonForm()
    if form.validate_on_submit():
        jobs.enqueue(deliver, message.id)
        audit.record(current_user, "email_retried", message, form.reason.data)
        db.session.commit()
        flash(_("The e-mail will be sent again."), "success")
    return redirect(url_for("staff.failed"), code=303)
