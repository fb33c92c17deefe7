"""Contract fixtures: the deals' parties, and a deal brought to `agreed` through the domain."""

import pytest

from marketplace.deals.models import Deal
from marketplace.extensions import db
from tests.deals.conftest import LICENSE, load, open_deal
from tests.deals.conftest import parties as parties  # noqa: F401 (the fixture)

#: What the parties fill in on a licence draft (everything the Terms and organisations lack).
LICENSE_DETAILS = {
    "licensor.address": "대전광역시 유성구 대학로 99",
    "licensee.address": "서울특별시 강남구 테헤란로 1",
    "licensor.registration_no": "314-81-12345",
    "licensee.registration_no": "134-81-67890",
    "payment_days": 30,
    "effective_date": "2026-03-02",
    "sublicensing": "with_consent",
    "improvements_owner": "joint",
}


def agree(p, deal_type="license", terms=None) -> Deal:
    """Open a deal, accept it and agree one Terms version (inside an app context, flushed)."""
    deal = open_deal(p, deal_type=deal_type)
    buyer, seller = load(p["buyer"]), load(p["seller"])
    deal.accept_inquiry(seller)
    deal.propose_terms(buyer, None, terms or LICENSE)
    deal.accept_terms(seller, 1)
    return deal


@pytest.fixture
def agreed(ctx, parties):  # noqa: F811
    deal = agree(parties)
    db.session.commit()
    return deal
