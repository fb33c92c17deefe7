import io

import pytest

from marketplace import create_app
from marketplace.api.tokens import create_token
from marketplace.extensions import db, limiter
from tests.conftest import TEST_PASSWORD


def test_csrf_is_required_on_forms(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    user = make_user()
    response = client.post("/en/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "The form expired or was sent from elsewhere" in response.get_data(as_text=True)
    page = client.get("/en/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def test_security_headers_and_csp_without_inline_script(client):
    response = client.get("/ko/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.get_data(as_text=True)


def test_session_cookie_flags(app, client, make_user):
    user = make_user()
    response = client.post("/ko/login", data={"email": user.email, "password": TEST_PASSWORD})
    session_cookie = [c for c in response.headers.getlist("Set-Cookie")
                      if c.startswith("session=")][0]
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


def test_cookies_are_secure_outside_debug(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_secret_key_is_required_outside_debug_and_testing(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_login_is_rate_limited(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    limiter.reset()
    codes = [client.post("/en/login", data={"email": "a@b.co", "password": "nope"}).status_code
             for _ in range(4)]
    limiter.reset()
    assert codes[:3] == [400, 400, 400]
    assert codes[3] == 429


def test_request_size_limit(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    response = client.post("/en/login", data={"email": "x" * 5000, "password": "y"})
    assert response.status_code == 413
    assert "larger than allowed" in response.get_data(as_text=True)


@pytest.mark.parametrize("lang, text", [("ko", "페이지를 찾을 수 없습니다"),
                                        ("en", "Page not found")])
def test_error_pages_in_both_languages(client, lang, text):
    response = client.get(f"/{lang}/no-such-page")
    assert response.status_code == 404
    assert text in response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in response.get_data(as_text=True)


def test_method_not_allowed_page(client):
    response = client.get("/en/logout")
    assert response.status_code == 405
    assert "Method not allowed" in response.get_data(as_text=True)


def test_api_paths_answer_json_errors(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_server_error_shows_no_stack_trace(app, monkeypatch):
    app_ = create_app({"TESTING": False, "DEBUG": False, "SECRET_KEY": "k",
                       "SQLALCHEMY_DATABASE_URI": "sqlite://", "PROPAGATE_EXCEPTIONS": False})

    @app_.route("/en/boom")
    def boom():
        raise ValueError("secret internals")

    response = app_.test_client().get("/en/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in body and "secret internals" not in body
    assert "Traceback" not in body


def test_ids_beyond_the_column_range_are_not_found(client):
    assert client.get("/en/organisations/99999999999999999999").status_code == 404
    assert client.get("/api/v1/offerings/21810635731954726095642689536").status_code == 404


def test_nul_characters_are_refused_in_queries_forms_and_json(app, client, make_user, login_as):
    """PostgreSQL cannot store NUL in text: such input is a 400 in the reader's language, and
    uploaded files (which contain NULs) still pass."""
    user = make_user(kind="firm", lang="ko")
    login_as(user)
    page = client.post("/ko/profile/tokens", data={"name": "a\x00b"})
    assert page.status_code == 400
    assert "NUL 문자" in page.get_data(as_text=True)
    assert client.get("/en/listings?q=%00").status_code == 400
    with app.test_request_context():
        _, secret = create_token(db.session.merge(user), "tests")
        db.session.commit()
    api = client.post("/api/v1/needs", json={"title_en": "x\u0000"},
                      headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 400 and "NUL" in api.get_json()["error"]["message"]
    upload = client.post("/ko/profile/tokens", data={
        "name": "fine", "file": (io.BytesIO(b"%PDF-1.4\x00\x00"), "x.pdf")},
        content_type="multipart/form-data")
    assert upload.status_code != 400
