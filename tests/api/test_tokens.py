from datetime import timedelta

import sqlalchemy as sa

from marketplace.api.tokens import ApiToken
from marketplace.extensions import db
from tests.conftest import login


def test_token_is_shown_once_and_stored_hashed(app, client, make_user):
    user = make_user()
    login(client, user)
    page = client.post("/en/profile/tokens", data={"name": "CRM sync"}).get_data(as_text=True)
    secret = page.split('id="new-token" class="user-select-all">')[1].split("<")[0]
    assert secret.startswith("tto_") and len(secret) > 40
    with app.app_context():
        token = db.session.scalars(sa.select(ApiToken)).one()
        assert secret not in (token.token_hash, token.hint) and token.hint == secret[:10]
    assert secret not in client.get("/en/profile/tokens").get_data(as_text=True)


def test_revoked_token_is_refused_and_others_cannot_revoke(app, client, make_user, runner):
    owner = make_user()
    secret = runner.invoke(args=["api-token", "create", owner.email]).output.strip()
    with app.app_context():
        token_id = db.session.scalars(sa.select(ApiToken.id)).one()
    intruder = make_user()
    login(client, intruder)
    assert client.post(f"/en/profile/tokens/{token_id}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id).active
    client.post("/ko/logout")
    login(client, owner)
    client.post(f"/en/profile/tokens/{token_id}/revoke")
    with app.app_context():
        assert not db.session.get(ApiToken, token_id).active
    assert secret.startswith("tto_")


def test_token_name_is_required(client, make_user):
    login(client, make_user())
    page = client.post("/ko/profile/tokens", data={"name": ""}).get_data(as_text=True)
    assert "이 항목은 필수입니다." in page  # WTForms ships Korean messages


def test_cli_refuses_unknown_user(runner):
    result = runner.invoke(args=["api-token", "create", "ghost@example.com"])
    assert result.exit_code != 0


def test_openapi_document_is_served(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def _last_used(app, token_id):
    with app.app_context():
        return db.session.get(ApiToken, token_id).last_used_at


def test_last_use_is_recorded_on_reads_at_most_once_a_minute(app, client, make_user, runner):
    owner = make_user()
    secret = runner.invoke(args=["api-token", "create", owner.email]).output.strip()
    auth = {"Authorization": f"Bearer {secret}"}
    with app.app_context():
        token_id = db.session.scalars(sa.select(ApiToken.id)).one()
    assert _last_used(app, token_id) is None
    assert client.get("/api/v1/deals", headers=auth).status_code == 200
    first = _last_used(app, token_id)
    assert first is not None
    assert client.get("/api/v1/offerings", headers=auth).status_code == 200
    assert _last_used(app, token_id) == first  # within the minute: not written again
    with app.app_context():
        earlier = first - timedelta(minutes=2)
        db.session.get(ApiToken, token_id).last_used_at = earlier
        db.session.commit()
    assert client.get("/api/v1/deals", headers=auth).status_code == 200
    assert _last_used(app, token_id) > earlier
