"""The one way to run background work: RQ on Redis when `REDIS_URL` is set, inline otherwise.

`enqueue(fn, *args)` only records the wish on the database session; the job is sent once that
session's transaction commits (and dropped if it rolls back), so a worker never sees ids of rows
that do not exist. Jobs receive ids and plain values, never ORM objects, and every run records
its outcome in `job_runs`.
"""

import importlib
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from .extensions import db

log = logging.getLogger(__name__)

PENDING = "pending_jobs"
COMMITTED = "committed_jobs"


@dataclass(frozen=True)
class JobSpec:
    name: str
    queue: str
    timeout: int
    retries: int


_registry: dict[str, tuple[Callable, JobSpec]] = {}
# Periodic jobs, declared as data: (job function path, interval in seconds).
PERIODIC: list[tuple[str, int]] = []


def job(queue: str = "default", timeout: int = 300, retries: int = 3):
    """Register a function as a job. It must be idempotent: a retry may run it twice."""

    def register(fn: Callable) -> Callable:
        name = f"{fn.__module__}.{fn.__qualname__}"
        fn.job_spec = JobSpec(name, queue, timeout, retries)
        _registry[name] = (fn, fn.job_spec)
        return fn

    return register


def periodic(every_seconds: int):
    """Declare a registered job as periodic (the worker's cron scheduler enqueues it)."""

    def register(fn: Callable) -> Callable:
        PERIODIC.append((fn.job_spec.name, every_seconds))
        return fn

    return register


class JobRun(db.Model):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    args: Mapped[dict] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(20))  # running | succeeded | failed
    error: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


def enqueue(fn: Callable, *args, **kwargs) -> None:
    spec = getattr(fn, "job_spec", None)
    if spec is None:
        raise TypeError(f"{fn!r} is not registered with @job")
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback with no other work still drops the job
    session.info.setdefault(PENDING, []).append((spec.name, args, kwargs))


@event.listens_for(Session, "after_commit")
def _promote_pending(session: Session) -> None:
    pending = session.info.pop(PENDING, [])
    if pending:
        session.info.setdefault(COMMITTED, []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    session.info.pop(PENDING, None)


def flush() -> int:
    """Send the jobs whose transaction committed. Called after each request and CLI command."""
    sent = 0
    while committed := db.session.info.pop(COMMITTED, []):
        for name, args, kwargs in committed:
            _dispatch(name, args, kwargs)
            sent += 1
    return sent


def _dispatch(name: str, args, kwargs) -> None:
    _, spec = _lookup(name)
    if current_app.config.get("REDIS_URL"):
        from rq import Retry

        queue(spec.queue).enqueue(
            execute, name, list(args), dict(kwargs), job_timeout=spec.timeout,
            retry=Retry(max=spec.retries, interval=[10, 60, 300][: spec.retries]) if spec.retries
            else None,
            description=name,
        )
    else:
        execute(name, list(args), dict(kwargs), raise_errors=False)


def _lookup(name: str) -> tuple[Callable, JobSpec]:
    if name not in _registry:
        importlib.import_module(name.rsplit(".", 1)[0])
    return _registry[name]


def redis_connection():
    from redis import Redis

    return Redis.from_url(current_app.config["REDIS_URL"])


def queue(name: str):
    from rq import Queue

    return Queue(name, connection=redis_connection())


def execute(name: str, args: list, kwargs: dict, raise_errors: bool = True):
    """Run one job with an app context, recording its outcome."""
    if not has_app_context():
        from . import create_app

        with create_app().app_context():
            return execute(name, args, kwargs, raise_errors)
    fn, _ = _lookup(name)
    run = JobRun(name=name, args={"args": args, "kwargs": kwargs}, status="running",
                 started_at=datetime.now(UTC))
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    try:
        result = fn(*args, **kwargs)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        _finish(run_id, "failed", "".join(traceback.format_exception(exc))[-4000:])
        log.exception("job %s failed", name)
        if raise_errors:
            raise
        return None
    _finish(run_id, "succeeded", None)
    flush()
    return result


def _finish(run_id: int, status: str, error: str | None) -> None:
    run = db.session.get(JobRun, run_id)
    run.status, run.error, run.finished_at = status, error, datetime.now(UTC)
    db.session.commit()


def init_app(app) -> None:
    @app.after_request
    def send_committed_jobs(response):
        flush()
        return response

    @app.teardown_appcontext
    def send_remaining_jobs(exc):
        if exc is None:
            try:
                flush()
            except Exception:  # never let a queue outage break the response already sent
                log.exception("could not send jobs")
