"""The RQ worker behind `flask jobs worker` (imported only by that command): RQ's SimpleWorker
(jobs run in this process, inside the app context the CLI pushed) that also hands over the jobs
waiting in the outbox at each maintenance round."""

import logging

from flask import current_app
from rq import SimpleWorker

from . import jobs
from .extensions import db

log = logging.getLogger(__name__)


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


class Worker(SimpleWorker):
    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        relay()


def make_worker() -> Worker:
    """A worker for every queue."""
    config = current_app.config
    return Worker([jobs.queue(name) for name in config["JOB_QUEUES"]],
                  connection=jobs.redis_connection())
