"""The deal page shows the deal's stages with the current one marked; the deals list is a list
of cards, not a wide table."""

import re

import pytest

from marketplace.deals.states import STAGES, DealState, stage_steps
from marketplace.extensions import db

from .conftest import negotiating_deal


@pytest.mark.parametrize("state, current, done", [
    (DealState.inquiry, "inquiry", 0), (DealState.nda, "nda", 1),
    (DealState.negotiating, "negotiation", 2), (DealState.drafting, "contract", 3),
    (DealState.signing, "signing", 4), (DealState.payment_pending, "payment", 5),
    (DealState.paid, "payment", 6),
])
def test_each_state_sits_at_one_stage(state, current, done):
    steps = stage_steps(state)
    assert [s["key"] for s in steps] == [key for key, _ in STAGES]
    assert [s["key"] for s in steps if s["current"]] == [current]
    assert sum(s["done"] for s in steps) == done


def test_a_deal_ended_early_shows_no_stepper():
    for state in (DealState.withdrawn, DealState.declined, DealState.expired):
        assert stage_steps(state) is None


def test_deal_page_marks_the_current_stage(app, client, parties, login_as):
    with app.test_request_context():
        deal = negotiating_deal(parties)
        db.session.commit()
        deal_id = deal.id
    login_as(parties["buyer"], lang="en")
    html = client.get(f"/en/deals/{deal_id}").get_data(as_text=True)
    stepper = html.split('<ol class="deal-stepper" aria-label="Stages of the deal">', 1)[1]
    stepper = stepper.split("</ol>", 1)[0]
    current = re.findall(r'data-stage="(\w+)" aria-current="step"', stepper)
    assert current == ["negotiation"]
    assert stepper.count('class="done ') == 2 and stepper.count("(completed)") == 2

    listing = client.get("/en/deals/").get_data(as_text=True)
    assert f'data-deal="{deal_id}"' in listing and "<table" not in listing
