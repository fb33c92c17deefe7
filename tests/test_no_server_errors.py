"""Every route, requested by every kind of visitor with empty or missing input, answers without a
server error: bad input is a 4xx with a page, never a stack trace.

The world is small but real: a firm and a startup with listings, a deal agreed between them
with a contract draft started, staff and an admin. Each URL is filled with those ids (and with
ids that do not exist), then fetched with GET and posted with an empty form.
"""

from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from werkzeug.routing import IntegerConverter

from marketplace.agreements import drafting
from marketplace.extensions import db
from tests.agreements.conftest import agree
from tests.conftest import login
from tests.deals.conftest import load
from tests.deals.conftest import parties as parties  # noqa: F401 (the fixture)

VISITORS = ("anonymous", "buyer", "seller", "outsider", "staff", "admin")
SKIP = {"accounts.logout"}  # would sign the visitor out for the routes after it


@pytest.fixture
def world(app, parties):
    with app.app_context():
        deal = agree(parties)
        contract = drafting.start_draft(deal, load(parties["buyer"]))
        db.session.commit()
        return parties | {"deal_id": deal.id, "contract_id": contract.id,
                          "org_id": parties["seller"].organisation_id}


def _urls(app, world, existing: bool):
    """(url, methods) for every route, with the world's ids or with unknown ones."""
    known = {"deal_id": world["deal_id"], "listing_id": world["offering_id"],
             "contract_id": world["contract_id"], "org_id": world["org_id"]}
    strings = {"lang_code": "ko", "clause_id": "purpose", "filename": "x.pdf", "token": "x"}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint in SKIP:
            continue
        values = {}
        for name in rule.arguments:
            if isinstance(rule._converters.get(name), IntegerConverter):
                values[name] = known.get(name, 1) if existing else 987654
            else:
                values[name] = strings.get(name, "x")
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **values)
        yield url, rule.methods & {"GET", "POST", "PATCH", "DELETE"}


@pytest.mark.parametrize("existing", [True, False], ids=["known ids", "unknown ids"])
def test_no_route_answers_with_a_server_error(app, world, existing):
    clients = {}
    for who in VISITORS:
        clients[who] = app.test_client()
        if who != "anonymous":
            login(clients[who], world[who])
    failures, answered = [], []
    for url, methods in _urls(app, world, existing):
        for who, client in clients.items():
            for method in sorted(methods):
                try:
                    status = client.open(url, method=method, data={}).status_code
                except Exception as exc:  # TESTING propagates what would have been a 500
                    failures.append(f"{method} {url} as {who}: {type(exc).__name__}: {exc}")
                    continue
                answered.append(status)
                if status >= 500 and status != 503:  # 503: deliberately off (Stripe unset)
                    failures.append(f"{method} {url} as {who}: {status}")
    assert not failures, "\n".join(failures)
    # the visitors were signed in and the ids were real: many pages answered normally
    ok = sum(status < 400 for status in answered)
    assert ok > (200 if existing else 20), (ok, len(answered))


class _Forms(HTMLParser):
    """The POST forms of a page: (action, field names)."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, set[str]]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.forms.append((attrs.get("action") or "", set()))
        elif tag in ("input", "select", "textarea") and self.forms and attrs.get("name"):
            self.forms[-1][1].add(attrs["name"])


JUNK = ("-1", "9" * 40, "x" * 5000, "2026-13-45", "<b>&#0;\x00</b>", "1e309")


def test_every_form_survives_junk_in_every_field(app, world):
    """Each POST form on each page a visitor can open, filled with junk of several kinds."""
    failures, posted = [], 0
    for who in VISITORS[1:]:
        client = app.test_client()
        login(client, world[who])
        for url, methods in _urls(app, world, existing=True):
            if "GET" not in methods or "/api/" in url:
                continue
            page = client.get(url)
            if page.status_code != 200 or page.mimetype != "text/html":
                continue
            parser = _Forms()
            parser.feed(page.get_data(as_text=True))
            for action, fields in parser.forms:
                if not fields or "logout" in action:
                    continue
                for junk in JUNK:
                    data = {name: junk for name in fields if name != "csrf_token"}
                    try:
                        status = client.post(action or url, data=data).status_code
                    except Exception as exc:
                        failures.append(f"{action} from {url} as {who} ({junk[:12]!r}): "
                                        f"{type(exc).__name__}: {exc}")
                        continue
                    posted += 1
                    if status >= 500 and status != 503:
                        failures.append(f"{action} from {url} as {who} ({junk[:12]!r}): {status}")
    assert not failures, "\n".join(failures)
    assert posted > 100


# ---- input that parsers choke on -----------------------------------------------------------

def _token(app, user) -> dict:
    from marketplace.api.tokens import create_token

    with app.test_request_context():
        _, secret = create_token(db.session.merge(user), "tests")
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _is_error_shape(response) -> bool:
    error = response.get_json()["error"]
    return set(error) == {"code", "message", "fields"} and error["message"]


OFFERING = {"title_en": "Drone battery", "summary_en": "s", "description_en": "d",
            "sector": "drone", "trl": 5, "deal_types": ["license"]}
BAD_JSON = {
    "nested 50,000 deep": "[" * 50_000 + "]" * 50_000,
    "an integer of 5,000 digits": '{"trl": ' + "9" * 5000 + "}",
    "a lone surrogate": '{"title_en": "drone \\ud800", "summary_en": "s", "description_en": '
                        '"d", "sector": "drone", "trl": 5, "deal_types": ["license"]}',
}


@pytest.mark.parametrize("body", BAD_JSON.values(), ids=BAD_JSON.keys())
def test_unreadable_json_is_a_translated_400(app, client, make_user, body):
    from marketplace.listings.models import Listing

    auth = _token(app, make_user(kind="startup"))
    response = client.post("/api/v1/offerings", data=body, content_type="application/json",
                           headers=auth | {"Accept-Language": "ko"})
    assert response.status_code == 400 and _is_error_shape(response)
    assert "JSON" in response.get_json()["error"]["message"] or "문자" in \
        response.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0
    fine = client.post("/api/v1/offerings", json=OFFERING | {"title_en": "drone \U0001F681"},
                       headers=auth)
    assert fine.status_code == 201  # a real character beyond the BMP is fine


def test_a_lone_surrogate_in_a_query_or_form_field_is_no_server_error(client, make_user,
                                                                       login_as):
    login_as(make_user(kind="firm"))
    surrogate = "%ED%A0%80"  # what "\ud800" would be in UTF-8, if it could be encoded
    assert client.get(f"/ko/offerings?q={surrogate}").status_code < 500
    assert client.get(f"/api/v1/offerings?q={surrogate}").status_code < 500
    response = client.post("/ko/profile/tokens", data=f"name=a{surrogate}b",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500


@pytest.mark.parametrize("number", ["²", "①", "٣", "9" * 5000])
def test_only_ascii_digits_make_a_number_in_terms(app, client, world, number):
    from tests.deals.conftest import LICENSE, negotiating_deal

    with app.app_context():
        deal = negotiating_deal(world, fresh=True)
        db.session.commit()
        deal_id = deal.id
    auth = _token(app, world["buyer"])
    api = client.post(f"/api/v1/deals/{deal_id}/terms", headers=auth, json={
        "based_on_version": 0, "terms": {**LICENSE, "upfront_fee": number}})
    assert api.status_code == 400 and "upfront_fee" in api.get_json()["error"]["fields"]
    login(client, world["buyer"])
    page = client.post(f"/ko/deals/{deal_id}/terms/new", data={
        "based_on_version": number, "currency": "KRW", "upfront_fee": "50,000,000",
        "royalty_percent": "3.5", "field_of_use_ko": "EV", "territory_ko": "대한민국",
        "exclusivity": "exclusive", "term_months": "36"})
    assert page.status_code == 400 and "정수" in page.get_data(as_text=True)


def test_staff_without_an_organisation_cannot_post_a_need(app, client, make_user):
    from marketplace.listings.models import Listing

    auth = _token(app, make_user(kind=None, role="staff"))
    response = client.post("/api/v1/needs", headers=auth, json={
        "title_en": "Need", "summary_en": "s", "description_en": "d", "sector": "drone",
        "min_trl": 5, "deal_types": ["license"]})
    assert response.status_code == 403 and _is_error_shape(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0
