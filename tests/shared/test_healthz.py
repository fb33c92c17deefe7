"""`GET /healthz`: the database and Redis as this process sees them."""

import logging
import urllib.request

from marketplace.extensions import db, limiter
from tests.conftest import make_test_app


def test_without_redis_it_is_unused(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "redis": "unused"}


def test_an_unreachable_redis_is_down_and_still_200(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "redis": "down"}


def test_a_reachable_redis_is_ok(app, client, monkeypatch, redis_url):
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    assert client.get("/healthz").get_json() == {"database": "ok", "redis": "ok"}


def test_an_unreachable_database_is_503(app, tmp_path):
    broken = make_test_app(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")
    try:
        response = broken.test_client().get("/healthz")
        assert response.status_code == 503
        assert response.get_json() == {"database": "down", "redis": "unused"}
        assert "Traceback" not in response.get_data(as_text=True)
    finally:
        with broken.app_context():
            db.engine.dispose()
        limiter.init_app(app)  # one limiter for every app: give it the session app's storage


def test_no_sign_in_no_prefix_no_access_log_line(live_server, caplog):
    with caplog.at_level(logging.INFO):
        for path in ("/healthz", "/ko/"):
            with urllib.request.urlopen(live_server + path, timeout=10) as response:
                assert response.status == 200
        # gunicorn's access log, as it writes a line
        logging.getLogger("gunicorn.access").info(
            '%(h)s - - "%(r)s" %(s)s', {"h": "10.0.0.1", "r": "GET /healthz HTTP/1.1", "s": 200})
    lines = [r.getMessage() for r in caplog.records
             if r.name in ("werkzeug", "gunicorn.access")]
    assert any("GET /ko/ " in line for line in lines), lines
    assert not any("/healthz" in line for line in lines), lines
