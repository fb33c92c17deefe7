"""A published offering, its startup (two members), a firm that asks (two members), an
outsider firm and a staff member; the members read in different languages."""

from types import SimpleNamespace

import pytest

from marketplace.accounts.models import User
from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD
from tests.listings.helpers import make_listing


def add_colleague(app, of, lang: str, email: str):
    """A second active member of `of`'s organisation."""
    with app.app_context():
        user = User(email=email, display_name=email.split("@")[0], preferred_language=lang,
                    organisation_id=of.organisation_id)
        user.set_password(TEST_PASSWORD)
        db.session.add(user)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


@pytest.fixture
def world(app, make_user):
    owner = make_user(kind="startup", lang="ko", name_ko="배터리랩", name_en="Battery Lab")
    asker = make_user(kind="firm", lang="en", name_ko="대한모터스", name_en="Daehan Motors")
    with app.test_request_context():
        listing_id = make_listing(owner)
        db.session.remove()
    return SimpleNamespace(
        owner=owner, owner_colleague=add_colleague(app, owner, "en", "cto@battery.example"),
        asker=asker, asker_colleague=add_colleague(app, asker, "ko", "buyer@daehan.example"),
        outsider=make_user(kind="firm", lang="ko"),
        staff=make_user(kind="agency", role="staff", lang="ko"),
        listing_id=listing_id)
