
import pytest
import sqlalchemy as sa

from marketplace import jobs
from marketplace.extensions import db
from marketplace.jobs import JobRun
from marketplace.mail.models import OutboxMessage
from tests.support.sample_jobs import explode, note


def _outbox(recipient):
    return db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == recipient)).all()


def test_inline_job_runs_only_after_commit(ctx):
    jobs.enqueue(note, "after@example.com")
    assert jobs.flush() == 0  # not committed yet: nothing is sent
    db.session.commit()
    assert jobs.flush() == 1
    # the job itself queued the e-mail delivery job, which ran inline as well
    assert [m.status for m in _outbox("after@example.com")] == ["logged"]
    runs = db.session.scalars(sa.select(JobRun).order_by(JobRun.id)).all()
    assert [r.status for r in runs] == ["succeeded", "succeeded"]
    assert runs[0].name.endswith("sample_jobs.note")


def test_rolled_back_work_sends_no_job(ctx):
    jobs.enqueue(note, "never@example.com")
    db.session.rollback()
    db.session.commit()
    assert jobs.flush() == 0
    assert _outbox("never@example.com") == []


def test_failed_job_is_recorded_and_does_not_break_the_caller(ctx):
    jobs.enqueue(explode)
    db.session.commit()
    jobs.flush()
    run = db.session.scalars(sa.select(JobRun)).one()
    assert run.status == "failed" and "job failed on purpose" in run.error


def test_jobs_are_sent_after_a_request_commits(app, client, make_user):
    user = make_user()
    client.post("/ko/password/forgot", data={"email": user.email})
    with app.app_context():
        assert [m.status for m in _outbox(user.email)] == ["logged"]


def test_unregistered_function_is_refused(ctx):
    with pytest.raises(TypeError):
        jobs.enqueue(print, "x")


def test_rq_worker_runs_the_job_from_redis(app, ctx, redis_url, monkeypatch):
    from rq import SimpleWorker

    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    connection = jobs.redis_connection()
    connection.flushdb()
    jobs.enqueue(note, "redis@example.com")
    db.session.commit()
    jobs.flush()
    queue = jobs.queue("default")
    assert queue.count == 1  # sent to Redis, not run inline
    assert _outbox("redis@example.com") == []
    SimpleWorker([queue, jobs.queue("mail")], connection=connection).work(burst=True)
    db.session.expire_all()
    assert [m.status for m in _outbox("redis@example.com")] == ["logged"]
    statuses = db.session.scalars(sa.select(JobRun.status)).all()
    assert statuses == ["succeeded", "succeeded"]
    connection.flushdb()


def test_a_job_waiting_under_the_name_of_a_module_it_left_still_runs(ctx):
    for old, new in jobs.MOVED.items():
        fn, _ = jobs._lookup(old)
        assert f"{fn.__module__}.{fn.__name__}" == new
    jobs.execute("marketplace.payments.services.create_requests_job", [987654], {})
    run = db.session.scalars(sa.select(JobRun)).one()
    assert run.status == "succeeded", run.error
