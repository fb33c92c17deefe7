"""Without Redis, the jobs a request asks for run on one thread of the same process, after the
response is sent rather than inside it.

The request only queues the committed outbox row ids here; this thread hands them over as
`jobs.hand_over` always did (marks them, then runs them in an app context), one batch at a time,
in order. A row whose process ends before its turn stays waiting in the outbox, and
`flask jobs run-periodic` (or a worker, once there is Redis) runs it later.
"""

import logging
import os
import queue
import threading
import time

log = logging.getLogger(__name__)

_work: queue.Queue = queue.Queue()
_thread: threading.Thread | None = None
_owner_pid: int | None = None
_start_lock = threading.Lock()


def submit(app, run, ids: list[int]) -> None:
    """Call `run(ids)` (handing over outbox rows) in an app context of `app` on the background
    thread."""
    _ensure_thread()
    _work.put((app, run, list(ids)))


def on_background_thread() -> bool:
    return threading.current_thread() is _thread


def wait(timeout: float | None = None) -> bool:
    """Wait until every queued batch has run; False if `timeout` seconds passed first."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while _work.unfinished_tasks:
        if deadline is not None and time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _ensure_thread() -> None:
    global _thread, _owner_pid
    with _start_lock:
        if _thread is None or not _thread.is_alive() or _owner_pid != os.getpid():
            _owner_pid = os.getpid()  # a forked process starts its own thread
            _thread = threading.Thread(target=_run, name="jobs-after-response", daemon=True)
            _thread.start()


def _run() -> None:
    from .extensions import db

    while True:
        app, run, ids = _work.get()
        try:
            with app.app_context():
                try:
                    run(ids)
                finally:
                    db.session.remove()
        except Exception:
            log.exception("could not run jobs %s after the response", ids)
        finally:
            _work.task_done()
