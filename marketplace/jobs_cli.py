"""`flask jobs worker|cron|run-periodic`: start background processing."""

import click
from flask import current_app
from flask.cli import AppGroup

from . import job_entry, jobs

jobs_cli = AppGroup("jobs", help="Background jobs.")


def _require_redis():
    if not current_app.config["REDIS_URL"]:
        raise click.ClickException("REDIS_URL is not set: jobs run inline, no worker is needed.")
    return jobs.redis_connection()


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True,
              help="Hand over the waiting jobs, run everything queued, then stop.")
def worker_command(burst):
    """Process jobs from every queue (with RQ's scheduler for retries and delayed jobs), after
    loading the analyser and the matching model and handing over the jobs that waited while
    Redis or the workers were down."""
    from .job_worker import make_worker, relay
    from .warmup import warm_up

    _require_redis()
    click.echo(f"warmed up in {warm_up(current_app, matching=True):.1f} s")
    worker = make_worker()
    relay()
    worker.work(burst=burst, with_scheduler=True)


@jobs_cli.command("cron")
def cron_command():
    """Enqueue the periodic jobs at their intervals."""
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=_require_redis())
    for name, every in jobs.PERIODIC:
        _, spec = jobs._lookup(name)
        scheduler.register(job_entry.run, spec.queue, args=(name, [], {}), interval=every,
                           job_timeout=spec.timeout, name=name)
    scheduler.start()


@jobs_cli.command("run-periodic")
def run_periodic_command():
    """Run every periodic job once, now (for machines without a worker), after handing over
    the jobs left waiting."""
    click.echo(f"handed over {jobs.relay()} waiting job(s)")
    for name, _ in jobs.PERIODIC:
        jobs.execute(name, [], {}, raise_errors=False)
        click.echo(f"ran {name}")
