"""Fixtures of the API tests: the deal parties and a personal access token for each."""

import pytest

from marketplace.api.tokens import create_token
from marketplace.extensions import db
from tests.deals.conftest import parties  # noqa: F401  (fixture)


@pytest.fixture
def tokens(app, parties):  # noqa: F811
    """An `Authorization` header per party: buyer, seller, outsider, staff."""
    out = {}
    with app.test_request_context():
        for name in ("buyer", "seller", "outsider", "staff"):
            user = db.session.merge(parties[name])
            out[name] = {"Authorization": f"Bearer {create_token(user, 't')[1]}"}
        db.session.commit()
    return out
