"""`flask jobs worker` for real: a worker killed with SIGKILL during a job. Its scheduler child
goes with it, and another worker runs the job again within seconds, marking the first run
abandoned."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from marketplace import jobs
from marketplace.extensions import db
from marketplace.jobs import JobOutbox, JobRun
from marketplace.mail.models import OutboxMessage
from tests.support.sample_jobs import hold_then_note

ROOT = Path(__file__).resolve().parents[2]


def _start_worker(app, redis_url, log_path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": redis_url, "SECRET_KEY": "test-secret", "FLASK_DEBUG": "0",
           "JOB_HEARTBEAT_SECONDS": "1", "JOB_MAINTENANCE_SECONDS": "1",
           "PYTHONPATH": str(ROOT)}
    with open(log_path, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs",
                                 "worker"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for(what, seconds: float, step: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(step)
    return what()


def _runs(job_id):
    db.session.expire_all()
    return db.session.scalars(sa.select(JobRun).where(JobRun.job_id == job_id)
                              .order_by(JobRun.id)).all()


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_killed_workers_job_runs_again_and_its_run_says_so(
        app, ctx, redis_url, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    connection = jobs.redis_connection()
    connection.flushdb()
    hold = tmp_path / "hold"
    hold.touch()
    jobs.enqueue(hold_then_note, "killed@example.com", str(hold))
    db.session.commit()
    assert jobs.flush() == 1
    job_id = db.session.scalar(sa.select(JobOutbox)).job_id
    db.session.commit()
    log_path = tmp_path / "workers.log"
    first = _start_worker(app, redis_url, log_path)
    second = None
    try:
        running = _wait_for(lambda: [r for r in _runs(job_id) if r.status == "running"], 60)
        assert running, log_path.read_text()[-3000:]
        [scheduler] = _wait_for(lambda: _children(first.pid), 10)
        db.session.commit()  # hold no transaction while the workers write

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()
        assert _wait_for(lambda: not _alive(scheduler), 10), "the scheduler outlived its worker"
        hold.unlink()

        second = _start_worker(app, redis_url, log_path)
        done = _wait_for(lambda: [r for r in _runs(job_id) if r.status == "succeeded"], 90, 0.5)
        elapsed = time.monotonic() - killed_at
        assert done, log_path.read_text()[-3000:]
        runs = _runs(job_id)
        assert [r.status for r in runs] == ["abandoned", "succeeded"]
        assert "worker stopped" in runs[0].error and runs[0].finished_at is not None
        assert elapsed < 60, elapsed

        def mail_states():  # the job's e-mail is delivered by a job of its own, a moment later
            states = db.session.scalars(sa.select(OutboxMessage.status).where(
                OutboxMessage.recipient == "killed@example.com")).all()
            db.session.commit()
            return states if states and "queued" not in states else None

        assert _wait_for(mail_states, 30, 0.5) == ["logged"]
    finally:
        for process in (first, second):
            if process is not None:
                children = _children(process.pid) if process.poll() is None else []
                _stop(process)
                for pid in children:
                    if _alive(pid):
                        os.kill(pid, signal.SIGKILL)
        connection.flushdb()
