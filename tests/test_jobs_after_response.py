"""Without Redis, the jobs a request asks for run after its response, on a thread of the same
process, and their results appear moments later."""

import time

import pytest
import sqlalchemy as sa

from marketplace import background, jobs
from marketplace.extensions import db
from marketplace.jobs import JobOutbox, JobRun
from marketplace.mail.models import OutboxMessage
from tests.support.sample_jobs import hold_then_note


@pytest.fixture
def after_response(app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_AFTER_RESPONSE", True)
    yield
    assert background.wait(timeout=30)


def _mail(recipient):
    return db.session.scalars(sa.select(OutboxMessage.status).where(
        OutboxMessage.recipient == recipient)).all()


def test_a_request_does_not_wait_for_its_jobs(app, after_response, tmp_path):
    hold = tmp_path / "hold"
    hold.write_text("")
    with app.test_request_context():
        jobs.enqueue(hold_then_note, "later@example.com", str(hold))
        db.session.commit()
        started = time.perf_counter()
        assert jobs.flush() == 1
        assert time.perf_counter() - started < 1  # the job holds for a minute
        db.session.remove()
    with app.app_context():
        assert _mail("later@example.com") == []
        hold.unlink()
        assert background.wait(timeout=30)
        assert _mail("later@example.com") == ["logged"]
        assert db.session.scalars(sa.select(JobRun.status)).all() == ["succeeded", "succeeded"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JobOutbox).where(
            JobOutbox.handed_over_at.is_(None))) == 0


def test_the_mail_a_request_asks_for_is_written_moments_after_its_response(
        app, client, make_user, after_response):
    user = make_user()
    response = client.post("/ko/password/forgot", data={"email": user.email})
    assert response.status_code in (200, 302)
    assert background.wait(timeout=30)
    with app.app_context():
        assert _mail(user.email) == ["logged"]


def test_a_command_outside_a_request_still_runs_its_jobs_before_it_ends(app, after_response):
    with app.app_context():
        jobs.enqueue(hold_then_note, "cli@example.com", "/nonexistent/hold")
        db.session.commit()
        assert jobs.flush() == 1
        assert _mail("cli@example.com") == ["logged"]
