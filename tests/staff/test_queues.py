"""Failed jobs and undelivered e-mail: counted on the console, listed, and run again from it
(with an audit row); a job run again leaves the list."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from marketplace.audit import AuditEntry
from marketplace.extensions import db
from marketplace.jobs import JobRun
from marketplace.mail.models import OutboxMessage
from tests.conftest import login


def failed_run(app, name="tests.support.sample_jobs.note", args=None) -> int:
    with app.app_context():
        run = JobRun(name=name, args=args or {"args": ["again@example.com"], "kwargs": {}},
                     status="failed", error="RuntimeError: SMTP down",
                     started_at=datetime.now(UTC), finished_at=datetime.now(UTC))
        db.session.add(run)
        db.session.commit()
        return run.id


def stuck_message(app, age=timedelta(hours=1)) -> int:
    with app.app_context():
        message = OutboxMessage(recipient="late@example.com", subject="안내", body="본문",
                                status="queued", created_at=datetime.now(UTC) - age)
        db.session.add(message)
        db.session.commit()
        return message.id


def queue_count(page: str) -> str:
    item = page.split('data-queue="staff.failed"', 1)[1].split("</a>", 1)[0]
    return item.split("data-count>", 1)[1].split("<", 1)[0]


def test_failed_jobs_and_late_mail_are_counted_listed_and_run_again(app, client, make_user):
    import tests.support.sample_jobs  # noqa: F401 - registers the job

    run_id = failed_run(app)
    message_id = stuck_message(app)
    stuck_message(app, age=timedelta(minutes=1))  # still on its way: not counted
    staff = make_user(kind="agency", role="staff")
    login(client, staff)
    assert queue_count(client.get("/en/staff/").get_data(as_text=True)) == "2"
    page = client.get("/en/staff/failed").get_data(as_text=True)
    assert f'data-run="{run_id}"' in page and f'data-message="{message_id}"' in page
    assert client.post(f"/en/staff/failed/jobs/{run_id}/retry",
                       data={"reason": "SMTP 복구"}).status_code == 303
    assert client.post(f"/en/staff/failed/emails/{message_id}/retry").status_code == 303
    with app.app_context():
        # The job ran again (inline, no Redis) and wrote its e-mail; the late one went out.
        assert db.session.scalar(sa.select(OutboxMessage.status).where(
            OutboxMessage.recipient == "again@example.com")) == "logged"
        assert db.session.get(OutboxMessage, message_id).status == "logged"
        assert [(e.kind, e.subject_id, e.reason) for e in db.session.scalars(
            sa.select(AuditEntry).order_by(AuditEntry.id))] == [
            ("job_retried", run_id, "SMTP 복구"), ("email_retried", message_id, None)]
    assert queue_count(client.get("/en/staff/").get_data(as_text=True)) == "0"
    # Neither can be run again twice from the list.
    assert client.post(f"/en/staff/failed/emails/{message_id}/retry").status_code == 404


def test_a_job_the_code_no_longer_has_is_not_run(app, client, make_user):
    run_id = failed_run(app, name="marketplace.gone.job")
    staff = make_user(kind="agency", role="staff")
    login(client, staff)
    response = client.post(f"/en/staff/failed/jobs/{run_id}/retry", follow_redirects=True)
    assert "cannot run again" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
