"""An app per test session, a clean database per test.

The database is SQLite in a temporary file unless TEST_DATABASE_URL names another (PostgreSQL in
CI); Redis-backed tests run when TEST_REDIS_URL is set.
"""

import atexit
import functools
import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.documents.seal import make_self_signed
from marketplace.extensions import db
from marketplace.i18n import catalogs

TEST_PASSWORD = "correct-horse-battery"


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@functools.cache
def seal_files() -> dict[str, str]:
    """A self-signed contract seal for the test apps, made once per run (removed at exit)."""
    folder = Path(tempfile.mkdtemp(prefix="tto-seal-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    make_self_signed(cert, key)
    return {"CONTRACT_SEAL_CERT": str(cert), "CONTRACT_SEAL_KEY": str(key)}


def make_test_app(database_url: str, **overrides):
    catalogs.compile_all()
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": None,
        "JOBS_AFTER_RESPONSE": False,
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "LOGIN_RATE_LIMIT": "10000 per minute",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SERVER_NAME": None,
        **seal_files(),
        "CONTRACT_SEAL_PASSPHRASE": None,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = make_test_app(_database_url(tmp_path_factory),
                        ORGANISATION_LOGO_DIR=str(tmp_path_factory.mktemp("logos")))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request):
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        tables = db.metadata.sorted_tables
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(tables):
                    conn.execute(table.delete())


@pytest.fixture
def ctx(app):
    """A request context for tests that call the domain directly.

    Test-client requests made inside it reuse its app context and so its `g` (the cached
    locale, the signed-in user): tests that drive pages should not use this fixture."""
    with app.test_request_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def redis_url():
    """The Redis database of the job-path tests (TEST_REDIS_URL); skipped without one."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set")
    return url


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Factory: a user with a new organisation, committed; returns a detached, loaded User."""
    from marketplace.accounts.models import Verification
    from marketplace.accounts.services import create_account

    counter = iter(range(1, 10_000))

    def factory(kind="startup", role="member", verified=True, email=None, lang="ko",
                name_ko=None, name_en=None, country=None, password=TEST_PASSWORD):
        n = next(counter)
        with app.test_request_context():
            user = create_account(
                email=email or f"user{n}@example.com", password=password,
                display_name=f"User {n}", org_kind=kind if kind else None,
                org_name_ko=name_ko or (f"기관{n}" if kind else None),
                org_name_en=name_en or (f"Org {n}" if kind else None),
                country=country or ("KR" if kind not in ("firm", "startup") else "US"),
                role=role, preferred_language=lang)
            if user.organisation is not None and verified:
                user.organisation.verification = Verification.verified
            db.session.commit()
            db.session.refresh(user)
            if user.organisation is not None:
                db.session.refresh(user.organisation)
            db.session.expunge_all()
            return user

    return factory


def login(client, user, password=TEST_PASSWORD, lang="ko"):
    response = client.post(f"/{lang}/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def login_as(client):
    """Sign a user in on the shared test client: `login_as(user)`."""
    return lambda user, **kw: login(client, user, **kw)


@pytest.fixture
def smtp_sink(app, monkeypatch):
    """A local SMTP server the app delivers mail to (`.messages`, `.bodies_to(address)`)."""
    from tests.support.smtp_sink import SmtpSink

    with SmtpSink() as sink:
        for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": sink.port,
                           "MAIL_USE_TLS": False, "MAIL_USERNAME": None}.items():
            monkeypatch.setitem(app.config, key, value)
        yield sink


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
