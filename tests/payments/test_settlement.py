"""Settlement accounts: entered by the payee's organisation, confirmed by staff, shown in full
only to the payer of an open request, masked everywhere else, with a warning after a change."""

import logging
import re
from datetime import timedelta

from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.payments import ledger
from marketplace.payments.settlement import SettlementAccount, account_of
from tests.conftest import login

from .conftest import sign_deal

NUMBER = "110-234-567890"
DIGITS = "110234567890"


def enter_account(client, user, number=NUMBER, bank="088", holder="주식회사 배터리랩"):
    login(client, user, lang="en")
    return client.post("/en/payments/settlement-account", data={
        "bank_code": bank, "account_number": number, "holder": holder})


def confirm_account(app, client, staff, org_id):
    with app.app_context():
        changed_at = account_of(org_id).changed_at
    login(client, staff, lang="en")
    return client.post(f"/en/payments/staff/settlement-accounts/{org_id}/confirm",
                       data={"changed_at": changed_at.isoformat()})


def test_payer_sees_the_confirmed_account_and_the_reference_others_see_it_masked(
        app, parties, caplog):
    caplog.set_level(logging.DEBUG)
    seller, buyer, staff = parties["seller"], parties["buyer"], parties["staff"]
    with app.test_request_context():
        deal_id = sign_deal(parties)
        [req] = ledger.requests_of(deal_id)
        req_id, reference = req.id, req.reference
    seller_client, buyer_client, staff_client = (app.test_client() for _ in range(3))
    assert enter_account(seller_client, seller).status_code == 303
    own = seller_client.get("/en/payments/settlement-account").get_data(as_text=True)
    assert "********7890" in own and DIGITS not in own and "Waiting for staff" in own

    login(buyer_client, buyer, lang="ko")
    page = buyer_client.get(f"/ko/payments/deals/{deal_id}").get_data(as_text=True)
    assert "data-no-account" in page and DIGITS not in page   # not confirmed: not shown

    queue = staff_client  # staff see the number they compare with the bank's certificate
    assert confirm_account(app, queue, staff, seller.organisation_id).status_code == 303
    with app.app_context():
        account = account_of(seller.organisation_id)
        assert account.confirmed_by_id == staff.id and account.confirmed_at is not None

    page = buyer_client.get(f"/ko/payments/deals/{deal_id}").get_data(as_text=True)
    assert f'id="acct-{req_id}" data-account-number>{DIGITS}<' in page
    assert "신한은행" in page and "주식회사 배터리랩" in page
    assert f'value="{reference}"' in page                       # the declaration is prefilled
    assert "data-account-changed" in page                       # entered today: a warning
    assert re.search(r'src="/static/js/copy\.[0-9a-f]+\.js"', page)  # hashed, see `assets`
    assert f'data-copy="ref-{req_id}"' in page

    login(seller_client, seller, lang="en")
    payee_page = seller_client.get(f"/en/payments/deals/{deal_id}").get_data(as_text=True)
    assert DIGITS not in payee_page and "********7890" in payee_page
    assert "data-account-changed" in payee_page
    public = app.test_client().get(f"/ko/organisations/{seller.organisation_id}")
    assert DIGITS not in public.get_data(as_text=True)
    assert DIGITS not in caplog.text and NUMBER not in caplog.text


def test_a_changed_account_needs_confirming_again_and_a_week_later_no_warning(app, parties):
    seller, staff = parties["seller"], parties["staff"]
    client = app.test_client()
    enter_account(client, seller)
    confirm_account(app, client, staff, seller.organisation_id)
    with app.app_context():
        account = account_of(seller.organisation_id)
        account.changed_at = utcnow() - timedelta(days=8)
        db.session.commit()
        assert not account.changed_recently() and account.confirmed
    assert enter_account(client, seller).status_code == 303          # the same: no change
    with app.app_context():
        assert account_of(seller.organisation_id).confirmed
    assert enter_account(client, seller, number="3333-01-2345678").status_code == 303
    with app.app_context():
        account = account_of(seller.organisation_id)
        assert not account.confirmed and account.changed_recently()
        assert account.account_number == "3333012345678"


def test_wrong_input_is_refused_with_the_reason_and_nothing_is_saved(app, parties):
    client = app.test_client()
    response = enter_account(client, parties["seller"], number="12-34", bank="999", holder="")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Choose a bank from the list." in body or "Not a valid choice" in body
    with app.app_context():
        assert db.session.query(SettlementAccount).count() == 0
    response = enter_account(client, parties["seller"], number="12-34")
    assert response.status_code == 400
    assert "10 to 16 digits" in response.get_data(as_text=True)


def test_the_staff_queue_is_staff_only_and_a_second_confirmation_is_refused(app, parties):
    client = app.test_client()
    enter_account(client, parties["seller"])
    login(client, parties["buyer"], lang="en")
    assert client.get("/en/payments/staff/settlement-accounts").status_code == 404
    assert client.post(f"/en/payments/staff/settlement-accounts/"
                       f"{parties['seller'].organisation_id}/confirm").status_code == 404
    login(client, parties["staff"], lang="en")
    queue = client.get("/en/payments/staff/settlement-accounts").get_data(as_text=True)
    assert DIGITS in queue and "<title>Settlement accounts to confirm ·" in queue
    assert 'href="/en/payments/staff/settlement-accounts"' in queue      # a tab of the staff area
    org_id = parties["seller"].organisation_id
    assert confirm_account(app, client, parties["staff"], org_id).status_code == 303
    with app.app_context():
        changed_at = account_of(org_id).changed_at
    again = client.post(f"/en/payments/staff/settlement-accounts/{org_id}/confirm",
                        data={"changed_at": changed_at.isoformat()})
    assert again.status_code == 409
    assert "already confirmed" in again.get_data(as_text=True)
