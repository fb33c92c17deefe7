"""A password reset link's token never reaches the access log, whatever field carries it."""

import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config

from marketplace.access_log import redact

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "IjQyIg.aBcDeF.s3cr3t-t0ken"


def _logger():
    """The access logger exactly as gunicorn.conf.py configures it."""
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    cfg = Config()
    for name in ("accesslog", "access_log_format", "logger_class"):
        cfg.set(name, settings[name])
    return cfg.logger_class(cfg)


def test_the_access_log_writes_reset_paths_without_their_token(capsys):
    logger = _logger()
    path = f"/ko/password/reset/{TOKEN}"
    environ = {"REQUEST_METHOD": "POST", "RAW_URI": path, "PATH_INFO": path,
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.7",
               "HTTP_REFERER": f"https://example.org{path}", "HTTP_USER_AGENT": "test"}
    response = SimpleNamespace(status="302 FOUND", sent=0, headers=[])
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    logger.access(response, request, environ, timedelta(milliseconds=12))
    # and a stylesheet the reset page loaded, whose referrer is the reset link
    css = dict(environ, REQUEST_METHOD="GET", RAW_URI="/static/css/site.css",
               PATH_INFO="/static/css/site.css")
    logger.access(SimpleNamespace(status="200 OK", sent=10, headers=[]), request, css,
                  timedelta(milliseconds=1))
    written = capsys.readouterr().out
    assert written.count("/ko/password/reset/[redacted]") == 3, written
    assert TOKEN not in written and "s3cr3t" not in written
    assert '"GET /static/css/site.css HTTP/1.1" 200' in written


def test_redact_leaves_other_paths_alone():
    assert redact(f"/en/password/reset/{TOKEN}?next=/x") == "/en/password/reset/[redacted]?next=/x"
    assert redact("/ko/password/reset") == "/ko/password/reset"
    assert redact("/ko/offerings/12?q=reset") == "/ko/offerings/12?q=reset"
