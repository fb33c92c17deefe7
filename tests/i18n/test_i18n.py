from datetime import date

from flask_babel import force_locale

from marketplace.i18n.formatting import major_to_minor, money
from tests.conftest import login


def test_root_redirects_by_accept_language_then_cookie_then_user(client, make_user):
    assert client.get("/").headers["Location"] == "/ko/"
    assert client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).headers[
        "Location"] == "/en/"
    client.get("/en/")  # visiting an English page remembers the choice
    assert client.get("/", headers={"Accept-Language": "ko"}).headers["Location"] == "/en/"
    user = make_user(lang="ko")
    login(client, user)  # a signed-in member's home is the desk, in their language
    assert client.get("/", headers={"Accept-Language": "en"}).headers["Location"] == "/ko/desk/"


def test_language_cookie_is_http_only(client):
    cookie = [c for c in client.get("/en/").headers.getlist("Set-Cookie")
              if c.startswith("lang=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_html_lang_and_switch_link_keep_the_page(client):
    ko = client.get("/ko/login?next=/ko/profile").get_data(as_text=True)
    assert '<html lang="ko">' in ko
    assert 'href="/en/login?next=/ko/profile"' in ko
    en = client.get("/en/register").get_data(as_text=True)
    assert '<html lang="en">' in en and 'href="/ko/register"' in en
    assert "Register your organisation" in en
    assert "기관 회원가입" in client.get("/ko/register").get_data(as_text=True)


def test_unknown_language_prefix_is_404(client):
    assert client.get("/fr/login").status_code == 404


def test_money_uses_currency_digits(ctx):
    with force_locale("ko"):
        assert money(1250000, "KRW") == "₩1,250,000"
        assert money(123456, "USD") == "US$1,234.56"
    with force_locale("en"):
        assert money(1250000, "KRW") == "₩1,250,000"
        assert money(123456, "USD") == "$1,234.56"
    assert major_to_minor("1234.56", "USD") == 123456
    assert major_to_minor("1250000", "KRW") == 1250000


def test_dates_follow_the_locale(ctx, app):
    render = app.jinja_env.from_string("{{ d|date(format='long') }}")
    with force_locale("ko"):
        assert render.render(d=date(2026, 11, 22)) == "2026년 11월 22일"
    with force_locale("en"):
        assert render.render(d=date(2026, 11, 22)) == "November 22, 2026"
