"""The job outbox: a job is a row written with the change that asks for it, handed to the queue
after the commit; when Redis is down it waits, and the relay hands it over later, once."""


import pytest
import sqlalchemy as sa

from marketplace import jobs
from marketplace.extensions import db
from marketplace.jobs import JobOutbox, JobRun
from marketplace.mail.models import OutboxMessage
from tests.support.sample_jobs import note

CLOSED_REDIS = "redis://127.0.0.1:1/0"


def _rows():
    return db.session.scalars(sa.select(JobOutbox).order_by(JobOutbox.id)).all()


def _mail(recipient):
    return db.session.scalars(sa.select(OutboxMessage.status).where(
        OutboxMessage.recipient == recipient)).all()


def test_the_job_row_is_written_in_the_transaction_that_asks_for_it(ctx):
    jobs.enqueue(note, "same@example.com")
    db.session.rollback()
    assert _rows() == []  # rolled back with the change
    jobs.enqueue(note, "same@example.com")
    db.session.commit()
    row = _rows()[0]
    assert row.name.endswith("sample_jobs.note") and row.args == {
        "args": ["same@example.com"], "kwargs": {}}
    assert row.queue == "default" and row.handed_over_at is None
    assert jobs.flush() == 1
    assert _rows()[0].handed_over_at is not None  # inline: run, then marked
    assert _mail("same@example.com") == ["logged"]


def test_with_redis_down_the_job_waits_and_the_caller_goes_on(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", CLOSED_REDIS)
    jobs.enqueue(note, "waits@example.com")
    db.session.commit()
    assert jobs.flush() == 0  # no exception: Redis refused, the row waits
    row = _rows()[0]
    assert row.handed_over_at is None and row.attempts == 1
    assert "ConnectionError" in row.last_error
    assert jobs.relay() == 0 and _rows()[0].attempts == 2
    assert db.session.scalars(sa.select(JobRun)).all() == []


def test_without_redis_the_relay_runs_what_waited(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", CLOSED_REDIS)
    jobs.enqueue(note, "later@example.com")
    db.session.commit()
    jobs.flush()
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    assert jobs.relay() == 1
    assert _mail("later@example.com") == ["logged"]
    assert jobs.relay() == 0


def test_the_relay_hands_over_to_redis_once(app, ctx, redis_url, monkeypatch):
    from rq import SimpleWorker

    monkeypatch.setitem(app.config, "REDIS_URL", CLOSED_REDIS)
    jobs.enqueue(note, "once@example.com")
    db.session.commit()
    jobs.flush()
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    connection = jobs.redis_connection()
    connection.flushdb()
    try:
        assert jobs.relay() == 1
        row = _rows()[0]
        assert row.handed_over_at is not None and row.last_error is None
        default = jobs.queue("default")
        assert default.job_ids == [row.job_id]  # the RQ job is named after the row
        # handed over again (as after a crash before the row was marked): a no-op
        db.session.execute(sa.update(JobOutbox).values(handed_over_at=None))
        db.session.commit()
        assert jobs.relay() == 1
        assert default.job_ids == [row.job_id]
        SimpleWorker([default, jobs.queue("mail")], connection=connection).work(burst=True)
        db.session.expire_all()
        assert _mail("once@example.com") == ["logged"]
        runs = db.session.scalars(sa.select(JobRun).order_by(JobRun.id)).all()
        assert [(r.status, r.job_id) for r in runs][0] == ("succeeded", row.job_id)
        assert len(runs) == 2  # the job and the e-mail it sent, once each
    finally:
        connection.flushdb()


def test_rows_handed_over_a_week_ago_are_forgotten_daily(ctx):
    from datetime import UTC, datetime, timedelta

    assert (jobs.forget_handed_over_jobs.job_spec.name, 24 * 3600) in jobs.PERIODIC
    now = datetime.now(UTC)
    for handed_over in (None, now - timedelta(days=1), now - timedelta(days=8)):
        db.session.add(JobOutbox(name="x", args={"args": [], "kwargs": {}}, queue="default",
                                 created_at=now - timedelta(days=9),
                                 handed_over_at=handed_over))
    db.session.commit()
    assert jobs.forget_handed_over_jobs() == 1
    db.session.commit()
    assert sorted(str(r.handed_over_at is None) for r in _rows()) == ["False", "True"]


def test_relays_racing_hand_each_job_over_once(app, redis_url, monkeypatch):
    """Workers relay at the same time: each waiting row goes to one of them (PostgreSQL locks
    the rows it hands over; SQLite has no row locks and runs a single host)."""
    import threading

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks are PostgreSQL's")
    monkeypatch.setitem(app.config, "REDIS_URL", CLOSED_REDIS)
    with app.test_request_context():
        for n in range(60):
            jobs.enqueue(note, f"race{n}@example.com")
        db.session.commit()
        jobs.flush()  # Redis down: all wait
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    with app.app_context():
        connection = jobs.redis_connection()
        connection.flushdb()
    barrier = threading.Barrier(4)
    handed = []

    def relay():
        with app.app_context():
            barrier.wait(timeout=10)
            handed.append(jobs.relay())
            db.session.remove()

    threads = [threading.Thread(target=relay) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sum(handed) == 60 and len(handed) == 4
        with app.app_context():
            queued = jobs.queue("default").job_ids
        assert len(queued) == len(set(queued)) == 60
    finally:
        connection.flushdb()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(JobOutbox.id)).where(
            JobOutbox.handed_over_at.is_(None))) == 0


def test_a_row_naming_an_unknown_job_waits_without_stopping_the_others(ctx):
    db.session.add(JobOutbox(name="marketplace.gone.job", args={"args": [], "kwargs": {}},
                             queue="default", created_at=db.func.now()))
    jobs.enqueue(note, "after-unknown@example.com")
    db.session.commit()
    assert jobs.relay() == 1
    gone, done, delivery = _rows()  # the job, and the e-mail delivery it asked for
    assert gone.handed_over_at is None and "no such job" in gone.last_error
    assert done.handed_over_at and delivery.handed_over_at
    assert _mail("after-unknown@example.com") == ["logged"]
