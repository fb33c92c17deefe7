"""The one way to run background work: RQ on Redis when `REDIS_URL` is set, inline otherwise.

`enqueue(fn, *args)` writes the wish to the `job_outbox` table in the same transaction as the
change that asks for it: both are committed, or neither. Once that transaction commits, its rows
are handed to RQ (or run inline) and marked handed over. When Redis cannot be reached they stay
waiting, and `relay()` hands them over later: a worker relays when it starts and at each of its
maintenance rounds. Jobs receive ids and plain values, never ORM objects, and must be idempotent
(a retry, a killed worker or a repeated hand-over may run one twice); every run records its
outcome in `job_runs`.
"""

import importlib
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from . import background
from .db_types import AwareDateTime
from .extensions import db

log = logging.getLogger(__name__)

PENDING = "pending_jobs"
# The function RQ runs for every job, named rather than imported: it lives in the app layer
# (it may need the app factory) and RQ imports it in the worker.
ENTRY = "marketplace.job_entry.run"
COMMITTED = "committed_jobs"
#: session.info key: what `enqueue_once` queued in the current transaction.
ONCE = "jobs_queued_once"


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
    status: Mapped[str] = mapped_column(sa.String(20))  # running|succeeded|failed|abandoned
    error: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[datetime] = mapped_column(AwareDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # The RQ job id, so that the run of a worker that died can be found when RQ runs it again.
    job_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)


class JobOutbox(db.Model):
    """A job asked for by a committed change, kept until it is handed to the queue."""

    __tablename__ = "job_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    args: Mapped[dict] = mapped_column(sa.JSON)  # {"args": [...], "kwargs": {...}}
    queue: Mapped[str] = mapped_column(sa.String(50))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    handed_over_at: Mapped[datetime | None] = mapped_column(AwareDateTime(),
                                                            index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    @property
    def job_id(self) -> str:
        """The RQ job id: handing the same row over twice names the same RQ job."""
        return f"outbox-{self.id}"


def enqueue(fn: Callable, *args, **kwargs) -> None:
    """Ask for `fn(*args, **kwargs)` once the current transaction commits."""
    spec = getattr(fn, "job_spec", None)
    if spec is None:
        raise TypeError(f"{fn!r} is not registered with @job")
    session = db.session()
    # A Core insert: it may run inside a flush (the hooks that enqueue listen to after_flush).
    result = session.execute(sa.insert(JobOutbox.__table__).values(
        name=spec.name, args={"args": list(args), "kwargs": dict(kwargs)}, queue=spec.queue,
        created_at=datetime.now(UTC), attempts=0))
    session.info.setdefault(PENDING, []).append(result.inserted_primary_key[0])


def enqueue_once(key, fn: Callable, *args) -> None:
    """`enqueue(fn, *args)` unless `fn` was queued for `key` already in this transaction (a row
    that several flushes change asks once); the memory goes with the commit or a rollback."""
    queued = db.session().info.setdefault(ONCE, set())
    if (fn, key) not in queued:
        queued.add((fn, key))
        enqueue(fn, *args)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_once(session: Session, *args) -> None:
    session.info.pop(ONCE, None)


@event.listens_for(Session, "after_commit")
def _promote_pending(session: Session) -> None:
    pending = session.info.pop(PENDING, [])
    if pending:
        session.info.setdefault(COMMITTED, []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    if previous_transaction.nested:
        return  # a savepoint: rows written before it still stand (those after it are gone)
    session.info.pop(PENDING, None)


def flush() -> int:
    """Hand over the jobs whose transaction committed. Called after each request, job and CLI
    command; returns how many were handed over (or, without Redis in a request, queued to run
    after the response: see `background`)."""
    sent = 0
    while committed := db.session.info.pop(COMMITTED, []):
        if _after_response():
            background.submit(current_app._get_current_object(), hand_over, committed)
            sent += len(committed)
        else:
            sent += hand_over(committed)
    return sent


def _after_response() -> bool:
    """Inline jobs asked for by a request run after its response (unless switched off)."""
    return (not current_app.config["REDIS_URL"] and current_app.config["JOBS_AFTER_RESPONSE"]
            and has_request_context() and not background.on_background_thread())


def relay() -> int:
    """Hand over every job still waiting: Redis was down when its change committed, or the
    process died in between."""
    return hand_over(None)


def hand_over(ids: list[int] | None) -> int:
    """Give the waiting outbox rows (of `ids`, or all) to RQ, or run them here without Redis.
    Rows Redis refuses stay waiting for the relay. Returns how many were handed over."""
    query = (sa.select(JobOutbox).where(JobOutbox.handed_over_at.is_(None))
             .order_by(JobOutbox.id).with_for_update(skip_locked=True))
    if ids is not None:
        query = query.where(JobOutbox.id.in_(ids))
    rows = [row for row in db.session.scalars(query) if _known(row)]
    if current_app.config["REDIS_URL"]:
        return _to_redis(rows)
    return _run_inline(rows)


def _known(row: JobOutbox) -> bool:
    """A row naming a job this code no longer has stays waiting, with the reason, for a person
    to look at (rather than stopping the rows behind it)."""
    try:
        _lookup(row.name)
    except (ImportError, KeyError):
        row.last_error = "This version of the code has no such job."
        log.error("job outbox row %s names an unknown job %s", row.id, row.name)
        return False
    return True


def _to_redis(rows: list[JobOutbox]) -> int:
    from redis.exceptions import RedisError

    sent = 0
    for row in rows:
        row.attempts += 1
        try:
            _send(row)
        except RedisError as exc:
            row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            log.warning("Redis unreachable, %d job(s) wait in the outbox: %s",
                        len(rows) - sent, exc)
            break
        row.handed_over_at, row.last_error = datetime.now(UTC), None
        sent += 1
    db.session.commit()
    return sent


def _send(row: JobOutbox) -> None:
    """Enqueue the row's job, unless RQ still holds it (so a second hand-over is a no-op; one
    that RQ already ran or dropped runs again, which a job must bear)."""
    from rq import Retry
    from rq.job import JobStatus

    _, spec = _lookup(row.name)
    rq_queue = queue(spec.queue)
    known = rq_queue.fetch_job(row.job_id)
    if known is not None and known.get_status() in (
            JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
        return
    rq_queue.enqueue(
        ENTRY, row.name, list(row.args["args"]), dict(row.args["kwargs"]),
        job_id=row.job_id, job_timeout=spec.timeout, description=row.name,
        retry=Retry(max=spec.retries, interval=[10, 60, 300][: spec.retries])
        if spec.retries else None)


def _run_inline(rows: list[JobOutbox]) -> int:
    """Without Redis: mark the rows handed over (so that no nested or concurrent hand-over runs
    them too), then run their jobs here, as inline work always ran."""
    work = [(row.name, row.args) for row in rows]
    for row in rows:
        row.handed_over_at, row.attempts = datetime.now(UTC), row.attempts + 1
    db.session.commit()
    for name, payload in work:
        execute(name, list(payload["args"]), dict(payload["kwargs"]), raise_errors=False)
    return len(work)


#: Jobs whose module moved, by the name rows already waiting in the outbox (or in RQ) carry.
MOVED = {
    "marketplace.matching.services.email_match": "marketplace.matching.notices.email_match",
    "marketplace.payments.services.create_requests_job":
        "marketplace.payments.requesting.create_requests_job",
}


def _lookup(name: str) -> tuple[Callable, JobSpec]:
    name = MOVED.get(name, name)
    if name not in _registry:
        importlib.import_module(name.rsplit(".", 1)[0])
    return _registry[name]


def redis_connection():
    """One client per process and URL, with short timeouts: an unreachable Redis costs a
    request seconds, not minutes."""
    from redis import Redis

    url = current_app.config["REDIS_URL"]
    clients = current_app.extensions.setdefault("redis_clients", {})
    if url not in clients:
        clients[url] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return clients[url]


def queue(name: str):
    from rq import Queue

    return Queue(name, connection=redis_connection())


def execute(name: str, args: list, kwargs: dict, raise_errors: bool = True):
    """Run one job, recording its outcome (inside an app context: RQ calls `ENTRY`)."""
    fn, _ = _lookup(name)
    job_id = _current_rq_job_id()
    if job_id:
        mark_abandoned(job_id, RERUN_NOTE)
    run = JobRun(name=name, args={"args": args, "kwargs": kwargs}, status="running",
                 started_at=datetime.now(UTC), job_id=job_id)
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


RERUN_NOTE = "The worker stopped (killed or lost) during this run; the job runs again."


def mark_abandoned(job_id: str, note: str) -> int:
    """Close the runs of `job_id` still marked running: their worker died mid-job."""
    result = db.session.execute(
        sa.update(JobRun).where(JobRun.job_id == job_id, JobRun.status == "running")
        .values(status="abandoned", error=note, finished_at=datetime.now(UTC)))
    db.session.commit()
    return result.rowcount


def _current_rq_job_id() -> str | None:
    from rq import get_current_job

    job = get_current_job()
    return job.id if job is not None else None


def _finish(run_id: int, status: str, error: str | None) -> None:
    run = db.session.get(JobRun, run_id)
    run.status, run.error, run.finished_at = status, error, datetime.now(UTC)
    db.session.commit()


@periodic(24 * 3600)
@job(queue="default", timeout=300, retries=1)
def forget_handed_over_jobs(days: int = 7) -> int:
    """Delete the outbox rows handed over more than `days` ago (each run stays in `job_runs`)."""
    cutoff = datetime.now(UTC) - timedelta(days=days)
    return db.session.execute(sa.delete(JobOutbox).where(
        JobOutbox.handed_over_at < cutoff)).rowcount


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
