"""The questions API: the same visibility, refusals and notices as the pages."""

import pytest
import sqlalchemy as sa

from marketplace.api.tokens import create_token
from marketplace.extensions import db
from marketplace.mail.models import OutboxMessage
from marketplace.notifications.models import Notification


@pytest.fixture
def tokens(app, world):
    from marketplace.accounts.models import User

    out = {}
    with app.test_request_context():
        for name in ("owner", "asker", "outsider", "staff"):
            user = db.session.get(User, getattr(world, name).id)
            out[name] = {"Authorization": f"Bearer {create_token(user, 't')[1]}"}
        db.session.commit()
    return out


def test_ask_list_and_answer(app, client, world, tokens):
    url = f"/api/v1/offerings/{world.listing_id}/questions"
    assert client.post(url, json={"body": "Q?"}).status_code == 401
    asked = client.post(url, json={"body": "  LFP 셀에도 됩니까?  "}, headers=tokens["asker"])
    assert asked.status_code == 201, asked.json
    question = asked.json
    assert question["body"] == "LFP 셀에도 됩니까?" and question["answer"] is None
    assert question["asker_organisation"]["id"] == world.asker.organisation_id
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
            Notification.kind == "question_asked")) == 2

    assert client.get(url).json["items"] == []
    assert client.get(url, headers=tokens["outsider"]).json["items"] == []
    assert [q["id"] for q in client.get(url, headers=tokens["owner"]).json["items"]] == [
        question["id"]]
    assert client.get(f"/api/v1/needs/{world.listing_id}/questions").status_code == 404

    answer_url = f"/api/v1/questions/{question['id']}/answer"
    assert client.post(answer_url, json={"answer": "네"},
                       headers=tokens["outsider"]).status_code == 404
    answered = client.post(answer_url, json={"answer": "네, 됩니다."}, headers=tokens["owner"])
    assert answered.status_code == 200 and answered.json["answer"] == "네, 됩니다."
    assert answered.json["private"] is False
    again = client.post(answer_url, json={"answer": "또"}, headers=tokens["owner"])
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"

    public = client.get(url).json["items"]
    assert [q["answer"] for q in public] == ["네, 됩니다."]
    assert public[0]["asker_organisation"] is None
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(
            OutboxMessage.recipient == world.asker.email)) == 1


def test_refusals(app, client, world, tokens):
    url = f"/api/v1/offerings/{world.listing_id}/questions"
    own = client.post(url, json={"body": "Q?"}, headers=tokens["owner"])
    assert own.status_code == 403 and own.json["error"]["code"] == "forbidden"
    assert client.post(url, json={"body": "   "}, headers=tokens["asker"]).status_code == 422
    assert client.post(url, json={"body": "x" * 1001},
                       headers=tokens["asker"]).status_code == 422
    assert client.post("/api/v1/offerings/999999/questions", json={"body": "Q?"},
                       headers=tokens["asker"]).status_code == 404
