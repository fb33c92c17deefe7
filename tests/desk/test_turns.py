"""What waits for me: at each step of a deal exactly the side whose turn it is has the step on
its desk (page and API), the other side has none, and the deal, contract and payments pages
offer that same side the same step."""

import re
from datetime import date

import pytest

from marketplace import jobs
from marketplace.agreements import nda as nda_document
from marketplace.agreements import signing
from marketplace.agreements.access import current_contract
from marketplace.deals.models import Deal
from marketplace.extensions import db
from marketplace.payments import ledger, transfers
from tests.agreements.conftest import agree, ready_draft
from tests.conftest import TEST_PASSWORD, login
from tests.deals.conftest import LICENSE, fill_nda_details, load, open_deal
from tests.payments.conftest import sign_deal

#: The deal page's action that answers each deal step (`Deal.allowed_actions`).
PAGE_ACTION = {"answer_inquiry": "accept_inquiry", "confirm_nda": "confirm_nda",
               "answer_offer": "reject_terms"}


def desk_page(client, user, lang="ko") -> list[tuple[str, int]]:
    login(client, user, lang=lang)
    page = client.get(f"/{lang}/desk/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    client.post(f"/{lang}/logout")
    return [(kind, int(deal)) for kind, deal in
            re.findall(r'data-action="(\w+)" data-deal="(\d+)"', html)]


def desk_api(client, token, lang=None) -> list[dict]:
    response = client.get("/api/v1/desk" + (f"?lang={lang}" if lang else ""), headers=token)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["actions"]


def check(app, client, p, tokens, deal_id, waiting: dict):
    """`waiting`: {party: kind} for the parties the deal waits on; every other party (and the
    outsider) has nothing on its desk, on the page and in the API; the deal page agrees."""
    for party in ("buyer", "seller", "outsider"):
        expected = [(waiting[party], deal_id)] if party in waiting else []
        assert desk_page(client, p[party]) == expected, party
        api = desk_api(client, tokens[party])
        assert [(a["kind"], a["deal_id"]) for a in api] == expected, party
    with app.test_request_context():
        deal = db.session.get(Deal, deal_id)
        for party in ("buyer", "seller"):
            user = load(p[party])
            actions = deal.allowed_actions(user)
            for kind, page_action in PAGE_ACTION.items():
                assert (waiting.get(party) == kind) == (page_action in actions), (party, kind)


def test_a_deal_from_inquiry_to_agreement(app, client, parties, tokens):
    p = parties
    with app.test_request_context():
        deal_id = open_deal(p).id
        db.session.commit()
    check(app, client, p, tokens, deal_id, {"seller": "answer_inquiry"})
    # the deal page shows the seller the buttons to accept or decline, the buyer none
    login(client, p["seller"])
    assert f'/deals/{deal_id}/accept"' in client.get(f"/ko/deals/{deal_id}").get_data(
        as_text=True)
    client.post("/ko/logout")
    login(client, p["buyer"])
    assert f'/deals/{deal_id}/accept"' not in client.get(f"/ko/deals/{deal_id}").get_data(
        as_text=True)
    client.post("/ko/logout")

    with app.test_request_context():
        db.session.get(Deal, deal_id).accept_inquiry(load(p["seller"]))
        db.session.commit()
    check(app, client, p, tokens, deal_id, {})  # talks open, no offer yet: nobody's turn

    with app.test_request_context():
        db.session.get(Deal, deal_id).propose_terms(load(p["buyer"]), None, LICENSE)
        db.session.commit()
    check(app, client, p, tokens, deal_id, {"seller": "answer_offer"})

    with app.test_request_context():
        db.session.get(Deal, deal_id).propose_terms(load(p["seller"]), 1,
                                                    {**LICENSE, "upfront_fee": 60_000_000})
        db.session.commit()
    check(app, client, p, tokens, deal_id, {"buyer": "answer_offer"})

    with app.test_request_context():
        db.session.get(Deal, deal_id).reject_terms(load(p["buyer"]), 2, "too high")
        db.session.commit()
    check(app, client, p, tokens, deal_id, {})  # answered: a counter-offer may follow

    with app.test_request_context():
        deal = db.session.get(Deal, deal_id)
        deal.propose_terms(load(p["buyer"]), 2, LICENSE)
        db.session.commit()
    check(app, client, p, tokens, deal_id, {"seller": "answer_offer"})

    with app.test_request_context():
        db.session.get(Deal, deal_id).accept_terms(load(p["seller"]), 3)
        db.session.commit()
    check(app, client, p, tokens, deal_id, {})


def test_the_api_titles_the_step_in_the_readers_language(app, client, parties, tokens):
    p = parties
    with app.test_request_context():
        deal_id = open_deal(p).id
        db.session.commit()
    [english] = desk_api(client, tokens["seller"])  # the seller reads English
    assert english["title"] == f"Answer the inquiry on deal #{deal_id}: Battery ageing AI"
    assert english["url"].endswith(f"/en/deals/{deal_id}")
    assert english["since"]
    [korean] = desk_api(client, tokens["seller"], lang="ko")
    assert korean["title"] == f"거래 #{deal_id}의 문의에 답해 주세요: 배터리 열화 예측 AI"


def test_the_nda_waits_on_each_side_until_it_confirms(app, client, parties, tokens):
    p = parties
    with app.test_request_context():
        deal = open_deal(p, require_nda=True)
        deal.accept_inquiry(load(p["seller"]))
        fill_nda_details(p)
        sha256 = nda_document.prepare(deal)
        deal_id = deal.id
        db.session.commit()
    check(app, client, p, tokens, deal_id, {"buyer": "confirm_nda", "seller": "confirm_nda"})
    with app.test_request_context():
        nda_document.confirm(db.session.get(Deal, deal_id), load(p["buyer"]), sha256=sha256,
                             password=TEST_PASSWORD)
        db.session.commit()
    check(app, client, p, tokens, deal_id, {"seller": "confirm_nda"})


def contract_turns(app, p, deal_id) -> dict:
    """What the contract page offers each side (its `can_approve` / `can_sign` rule)."""
    with app.test_request_context():
        contract = current_contract(db.session.get(Deal, deal_id))
        return {party: contract.turn_of(db.session.get(Deal, deal_id).side_of(load(p[party])))
                for party in ("buyer", "seller")}


def test_the_contract_waits_on_the_side_that_has_not_approved_or_signed(app, client, parties,
                                                                        tokens):
    p = parties
    with app.test_request_context():
        deal = agree(p)
        db.session.commit()
        deal_id = deal.id
        contract = ready_draft(deal, p)
        signing.approve(contract, load(p["buyer"]))
        db.session.commit()
    check(app, client, p, tokens, deal_id, {"seller": "approve_contract"})
    login(client, p["seller"])
    assert f"/deals/{deal_id}/contract/approve" in client.get(
        f"/ko/deals/{deal_id}/contract").get_data(as_text=True)
    client.post("/ko/logout")
    login(client, p["buyer"])
    assert f"/deals/{deal_id}/contract/approve" not in client.get(
        f"/ko/deals/{deal_id}/contract").get_data(as_text=True)
    client.post("/ko/logout")

    with app.test_request_context():
        contract = current_contract(db.session.get(Deal, deal_id))
        signing.approve(contract, load(p["seller"]))
        db.session.commit()
        jobs.flush()
    assert contract_turns(app, p, deal_id) == {"buyer": "sign_contract",
                                               "seller": "sign_contract"}
    check(app, client, p, tokens, deal_id, {"buyer": "sign_contract",
                                            "seller": "sign_contract"})


def test_payment_waits_on_the_payer_then_the_payee_confirms_the_transfer(app, client, parties,
                                                                         tokens):
    p = parties
    with app.test_request_context():
        deal_id = sign_deal(p)
    check(app, client, p, tokens, deal_id, {"buyer": "pay"})
    with app.test_request_context():
        [req] = ledger.requests_of(deal_id)
        transfers.declare_transfer(req, load(p["buyer"]), "TTO-REF", date.today())
        db.session.commit()
    check(app, client, p, tokens, deal_id, {"seller": "confirm_transfer"})
    login(client, p["seller"])
    assert "data-confirm=" in client.get(f"/ko/payments/deals/{deal_id}").get_data(as_text=True)
    client.post("/ko/logout")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_steps_are_listed_oldest_first(app, client, parties, lang):
    p = parties
    with app.test_request_context():
        first = open_deal(p, fresh=True)
        second = open_deal(p, fresh=True)
        db.session.commit()
        ids = [first.id, second.id]
    assert desk_page(client, p["seller"], lang) == [("answer_inquiry", i) for i in ids]
