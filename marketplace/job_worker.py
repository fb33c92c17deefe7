"""The RQ worker behind `flask jobs worker` (imported only by that command).

RQ's SimpleWorker runs jobs in its own process, inside the app context the CLI pushed, but says
nothing while a job runs: RQ could only call a killed worker's job abandoned once the job's whole
timeout (+60 s) had passed, and found it at its next maintenance round (10 min). This worker keeps
sending heartbeats during a job, so the job of a dead worker is found and retried within a few
heartbeats; it hands over the jobs waiting in the outbox at each maintenance round; and its
scheduler child stops when the worker is gone.
"""

import logging
import os
import threading

from flask import current_app
from rq import SimpleWorker
from rq.exceptions import AbandonedJobError
from rq.scheduler import RQScheduler
from rq.worker import WorkerStatus

from . import jobs
from .extensions import db

log = logging.getLogger(__name__)

NO_RETRY_NOTE = "The worker stopped (killed or lost) during this run; no retry was left."


def relay() -> None:
    """Hand over the jobs left waiting; a failure is logged, never fatal to the worker."""
    try:
        sent = jobs.relay()
    except Exception:
        db.session.rollback()
        log.exception("could not relay the waiting jobs")
        return
    if sent:
        log.info("handed over %d waiting job(s)", sent)


class Scheduler(RQScheduler):
    """RQ's scheduler, in the child process the worker forks, stopping once the worker is gone:
    after a `kill -9` of the worker it would otherwise run on and keep the scheduler locks."""

    def start(self):
        self.worker_pid = os.getpid()
        return super().start()

    def heartbeat(self):
        if os.getppid() != self.worker_pid:
            self.request_stop()
        super().heartbeat()


class Worker(SimpleWorker):
    """SimpleWorker plus a heartbeat thread while a job runs, and the relay at maintenance."""

    def execute_job(self, job, queue):
        execution = self.prepare_execution(job)
        done = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job, execution, done), daemon=True)
        beat.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            done.set()
            beat.join()
        self.set_state(WorkerStatus.IDLE)

    def _beat(self, job, execution, done) -> None:
        while not done.wait(self.job_monitoring_interval):
            try:
                self.maintain_heartbeats(job, execution)
            except Exception:
                log.warning("could not send the worker's heartbeat", exc_info=True)

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        """How long a running job's registry entry lives without a heartbeat."""
        return self.job_monitoring_interval * 3

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        relay()

    def _start_scheduler(self, burst=False, *args, **kwargs):
        if burst:  # RQ's burst path only enqueues what is due, in this process
            return super()._start_scheduler(burst, *args, **kwargs)
        self.scheduler = Scheduler(self.queues, connection=self.connection,
                                   serializer=self.serializer)
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks:
            self.scheduler.start()


def note_abandoned(job, exc_type, exc_value, traceback):
    """RQ's cleanup found a job whose worker died: say so on its run. Never raises: RQ would
    leave its cleaning lock taken for 15 minutes and the worker would stop."""
    if exc_type is not AbandonedJobError:
        return
    try:
        jobs.mark_abandoned(job.id, jobs.RERUN_NOTE if job.retries_left else NO_RETRY_NOTE)
    except Exception:
        db.session.rollback()
        log.exception("could not mark the abandoned run of job %s", job.id)


def make_worker() -> Worker:
    """A worker for every queue, with the heartbeat and maintenance intervals of the config."""
    config = current_app.config
    maintenance = config["JOB_MAINTENANCE_SECONDS"]
    worker = Worker([jobs.queue(name) for name in config["JOB_QUEUES"]],
                    connection=jobs.redis_connection(),
                    job_monitoring_interval=config["JOB_HEARTBEAT_SECONDS"],
                    maintenance_interval=maintenance,
                    # an idle worker waits at most worker_ttl - 15 s for a job, then maintains
                    worker_ttl=maintenance + 15)
    worker.push_exc_handler(note_abandoned)
    return worker
