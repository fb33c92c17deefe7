"""Gunicorn settings for Tech Trade-On: `gunicorn -c gunicorn.conf.py wsgi:app` (scripts/run).

Command-line flags win over this file (`--workers 4`, `--bind 0.0.0.0:8000`), and so does
`GUNICORN_CMD_ARGS`. The README's Operations section says how many workers fit in how much memory.
"""

# Where it listens; a reverse proxy (TLS, slow clients) stands in front in production.
bind = "127.0.0.1:5000"
# Processes. Pages are CPU work in Python, so about one worker per core; each worker beyond the
# first costs ~100 MB PSS, the models loaded once in the master are shared (see `preload_app`).
workers = 2
# Threads per worker: a second thread answers while the first waits on the database, a file or
# the network, without a second copy of the process.
worker_class = "gthread"
threads = 2
# A request still running after this many seconds is killed with its worker (a PDF render takes
# about one); a worker asked to stop finishes its requests within `graceful_timeout`.
timeout = 60
graceful_timeout = 30
# Seconds an idle keep-alive connection stays open (behind a proxy on the same network).
keepalive = 5
# Each worker is replaced after about this many requests, spread by the jitter so that the
# workers are not all replaced at once: what a long-lived process accumulates is given back.
max_requests = 5000
max_requests_jitter = 500
# Load the app, the Korean analyser, the matching model and the compiled templates in the master,
# once, before forking: the workers start warm and share those pages copy-on-write.
preload_app = True
# Access log to stdout: client, request, status, bytes, milliseconds, referrer, user agent.
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s"'
# Secrets in paths (a password reset link's token) are written as "[redacted]".
logger_class = "marketplace.access_log.AccessLogger"


def when_ready(server):
    """Warm the preloaded app in the master before the first worker is forked (warm-up also
    moves what it loaded out of the garbage collector's sight, so the pages stay shared)."""
    if server.cfg.preload_app:
        from marketplace.warmup import warm_up

        server.log.info("warmed up in %.1f s", warm_up(server.app.wsgi()))


def post_fork(server, worker):
    """A forked worker opens its own database connections, never the master's."""
    if server.cfg.preload_app:
        from marketplace.extensions import db

        with server.app.wsgi().app_context():
            db.engine.dispose(close=False)


def post_worker_init(worker):
    """Without preloading, each worker warms itself before it takes a request."""
    if not worker.cfg.preload_app:
        from marketplace.warmup import warm_up

        warm_up(worker.wsgi)


def worker_exit(server, worker):
    """Let the jobs this worker runs after its responses (no Redis) finish before it goes."""
    from marketplace import background

    background.wait(timeout=server.cfg.graceful_timeout)
