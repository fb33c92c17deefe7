"""A party asks city staff to review a contract draft: the deal waits in the help queue and the
console's review queue; the staff member who takes it on writes the review, which both sides
hear of and the audit trail records."""

import sqlalchemy as sa

from marketplace.agreements.models import Contract
from marketplace.audit import AuditEntry
from marketplace.deals.events import DealEvent
from marketplace.deals.models import Deal
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.conftest import login

from .conftest import agree, ready_draft


def _draft(app, parties):
    with app.test_request_context():
        deal = agree(parties)
        db.session.commit()
        contract = ready_draft(deal, parties)
        return deal.id, contract.id


def _events(app, deal_id):
    with app.app_context():
        return [e.kind for e in db.session.scalars(sa.select(DealEvent).where(
            DealEvent.deal_id == deal_id).order_by(DealEvent.seq))]


def test_a_party_asks_staff_review_and_both_sides_hear_of_it(app, client, parties):
    p = parties
    deal_id, contract_id = _draft(app, p)
    login(client, p["buyer"])
    page = client.get(f"/ko/deals/{deal_id}/contract").get_data(as_text=True)
    assert "담당자에게 초안 검토 요청" in page
    asked = client.post(f"/ko/deals/{deal_id}/contract/review-request",
                        data={"note": "제3조 로열티 조항을 봐 주세요."})
    assert asked.status_code == 303
    again = client.post(f"/ko/deals/{deal_id}/contract/review-request", data={})
    assert again.status_code == 409
    assert _events(app, deal_id)[-2:] == ["contract_review_request", "request_help"]
    client.post("/ko/logout")

    login(client, p["staff"])
    console = client.get("/ko/staff/").get_data(as_text=True)
    assert "검토를 기다리는 계약서" in console
    queue = client.get("/ko/staff/contract-reviews").get_data(as_text=True)
    assert f'data-contract-review="{contract_id}"' in queue and "아직 맡은 담당자 없음" in queue
    # not taken on: the contract stays closed to this staff member
    assert client.post(f"/ko/deals/{deal_id}/contract/review",
                       data={"comment": "괜찮습니다."}).status_code == 404
    assert client.post(f"/ko/deals/{deal_id}/claim").status_code in (302, 303)
    page = client.get(f"/ko/deals/{deal_id}/contract").get_data(as_text=True)
    assert "제3조 로열티 조항을 봐 주세요." in page and "검토 의견을 양측에 보내기" in page
    empty = client.post(f"/ko/deals/{deal_id}/contract/review", data={"comment": " "})
    assert empty.status_code == 400
    done = client.post(f"/ko/deals/{deal_id}/contract/review", data={
        "comment": "로열티 산정 기준(순매출)을 정의 조항에 추가하는 것이 좋겠습니다."})
    assert done.status_code == 303
    assert f'data-contract-review="{contract_id}"' not in client.get(
        "/ko/staff/contract-reviews").get_data(as_text=True)

    with app.app_context():
        contract = db.session.get(Contract, contract_id)
        assert not contract.review_pending and contract.reviewed_by_id == p["staff"].id
        entry = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.kind == "contract_reviewed"))
        assert (entry.actor_id, entry.subject_type, entry.subject_id) == (
            p["staff"].id, "contracts", contract_id)
        told = {n.user_id for n in db.session.scalars(sa.select(Notification).where(
            Notification.kind == "deal_event"))
            if db.session.get(DealEvent, n.data["event_id"]).kind == "contract_reviewed"}
        assert told == {p["buyer"].id, p["seller"].id}
        assert db.session.get(Deal, deal_id).assigned_staff_id == p["staff"].id
    client.post("/ko/logout")
    login(client, p["seller"], lang="en")
    page = client.get(f"/en/deals/{deal_id}/contract").get_data(as_text=True)
    assert 'id="review-comment"' in page and "로열티 산정 기준" in page


def test_outsiders_cannot_ask_and_signed_contracts_are_not_reviewed(app, client, parties):
    p = parties
    deal_id, _ = _draft(app, p)
    login(client, p["outsider"])
    assert client.post(f"/ko/deals/{deal_id}/contract/review-request",
                       data={}).status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(Contract.review_requested_at)) is None
