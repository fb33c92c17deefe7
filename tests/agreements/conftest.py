"""Contract fixtures: the deals' parties, a deal brought to `agreed` through the domain, and its
licence draft filled in and rendered."""

import pytest

from marketplace import jobs
from marketplace.agreements import drafting, signing
from marketplace.agreements.models import Contract
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


def ready_draft(deal, p) -> Contract:
    """The buyer starts the licence draft and fills in every detail (committed)."""
    contract = drafting.start_draft(deal, load(p["buyer"]))
    drafting.fill_variables(contract, load(p["buyer"]), LICENSE_DETAILS)
    db.session.commit()
    return contract


def render_draft(contract, p) -> Contract:
    """Both sides approve the draft and the PDF job runs: the version is ready to sign."""
    signing.approve(contract, load(p["buyer"]))
    signing.approve(contract, load(p["seller"]))
    db.session.commit()
    jobs.flush()
    db.session.refresh(contract)
    return contract


@pytest.fixture
def agreed(ctx, parties):  # noqa: F811
    deal = agree(parties)
    db.session.commit()
    return deal
