"""Authentication comes before anything reads the request: every API route that needs a token
answers an anonymous request with 401, whatever the body."""

import re

import pytest

BODIES = {
    "empty": {},
    "wrong fields": {"json": {"unknown": 1, "trl": "x", "terms": []}},
    "not JSON": {"data": "{", "content_type": "application/json"},
    "a NUL": {"json": {"title_en": "a\u0000"}},
    "nested deep": {"data": "[" * 5000 + "]" * 5000, "content_type": "application/json"},
}


def _api_routes(app):
    """(url, method, operation) for every API rule, ids filled with 1."""
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = spec["paths"].get(path, {}).get(method.lower())
            yield re.sub(r"<[^>]+>", "1", rule.rule), method, operation


def test_every_route_is_in_the_document(app):
    missing = [f"{m} {u}" for u, m, op in _api_routes(app) if op is None]
    assert not missing


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_anonymous_requests_are_401_before_the_body_is_read(app, client, body):
    secured = [(url, method) for url, method, op in _api_routes(app) if op and op.get("security")]
    assert len(secured) > 20
    wrong = []
    for url, method in secured:
        response = client.open(url, method=method, **body)
        if response.status_code != 401 or response.get_json()["error"]["code"] != "unauthorized":
            wrong.append(f"{method} {url}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_a_wrong_token_is_401_and_public_routes_stay_public(app, client):
    public = [(url, method) for url, method, op in _api_routes(app)
              if op and not op.get("security")]
    assert public
    for url, method in public:
        assert client.open(url, method=method).status_code != 401, url
        bad = client.open(url, method=method, headers={"Authorization": "Bearer tto_nope"})
        assert bad.status_code == 401, url
