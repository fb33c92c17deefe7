"""`GET /healthz`: whether this web process reaches its database and Redis, for the load
balancer and monitoring. No sign-in, no rate limit, no language prefix, and no access-log line
at info level (a monitor asks every few seconds)."""

import logging
import re

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from . import jobs
from .extensions import db, limiter

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """200 while the database answers (Redis down only delays jobs, see `jobs`), else 503."""
    database = _database()
    return jsonify(database=database, redis=_redis()), 200 if database == "ok" else 503


def _database() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("health check: the database is down: %s", exc)
        return "down"
    return "ok"


def _redis() -> str:
    if not current_app.config["REDIS_URL"]:
        return "unused"
    from redis.exceptions import RedisError

    try:
        jobs.redis_connection().ping()
    except RedisError as exc:
        log.warning("health check: Redis is down: %s", exc)
        return "down"
    return "ok"


class QuietHealthChecks(logging.Filter):
    """Drops the info-level access-log lines (gunicorn's, the development server's) of
    `/healthz`."""

    REQUEST = re.compile(r'"[A-Z]+ /healthz[ ?]')

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.INFO or not self.REQUEST.search(record.getMessage())


def init_app(app) -> None:
    app.register_blueprint(bp)
    for name in ("gunicorn.access", "werkzeug"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuietHealthChecks) for f in logger.filters):
            logger.addFilter(QuietHealthChecks())
