"""A startup proposes its technology for a firm's published need (a deal with the startup as the
seller); the firm hears of it, shortlists or declines it with a reason, and the deal goes on."""

import pytest
import sqlalchemy as sa

from marketplace.clock import utcnow
from marketplace.deals import proposals
from marketplace.deals.events import DealEvent
from marketplace.deals.models import Deal
from marketplace.deals.states import DealState, Side
from marketplace.errors import Conflict, DomainError, NotFound, PermissionDenied
from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingStatus
from marketplace.mail.models import OutboxMessage
from marketplace.notifications.models import Notification
from tests.conftest import login

from .conftest import load, make_listing

MESSAGE = "Our battery model predicts ageing within 2% on your cells."


def _propose_page(client, p, **form):
    data = {"offering_id": str(p["offering_id"]), "deal_type": "license", "message": MESSAGE,
            **form}
    return client.post(f"/en/deals/propose/{p['need_id']}", data=data)


def _outbox(address):
    return list(db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == address).order_by(OutboxMessage.id)))


def _deals():
    return list(db.session.scalars(sa.select(Deal).order_by(Deal.id)))


def _told_of(event) -> list[int]:
    """Who got the deal-event notice of `event`."""
    return [n.user_id for n in db.session.scalars(sa.select(Notification).where(
        Notification.kind == "deal_event")) if n.data.get("event_id") == event.id]


def test_a_startup_proposes_its_offering_from_the_need_page(app, client, parties):
    p = parties
    login(client, p["seller"], lang="en")
    page = client.get(f"/en/needs/{p['need_id']}").get_data(as_text=True)
    assert "Propose our technology" in page and 'id="propose-form"' in page
    assert f'value="{p["offering_id"]}"' in page  # its own offering to pick

    response = _propose_page(client, p)
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    with app.app_context():
        (deal,) = _deals()
        assert response.location.endswith(f"/en/deals/{deal.id}")
        assert (deal.seller_org_id, deal.buyer_org_id) == (p["seller"].organisation_id,
                                                            p["buyer"].organisation_id)
        assert (deal.state, deal.initiator_side, deal.need_id, deal.offering_id) == (
            DealState.inquiry, Side.seller, p["need_id"], p["offering_id"])
        assert deal.is_proposal and deal.messages[0].body == MESSAGE
        deal_id = deal.id
    # the need page now says there is an open proposal instead of offering the form again
    page = client.get(f"/en/needs/{p['need_id']}").get_data(as_text=True)
    assert f"already has an open proposal for this need (deal #{deal_id})" in page
    assert 'id="propose-form"' not in page


def test_the_firm_hears_of_the_proposal_in_its_language(app, client, parties, make_user):
    p = parties
    colleague = make_user(kind="firm", lang="en")
    with app.app_context():  # a second member of the firm, reading English
        user = load(colleague)
        user.organisation_id = p["buyer"].organisation_id
        db.session.commit()
    login(client, p["seller"], lang="en")
    assert _propose_page(client, p).status_code == 303
    with app.app_context():
        (deal,) = _deals()
        notices = list(db.session.scalars(sa.select(Notification).where(
            Notification.kind == "proposal_received").order_by(Notification.user_id)))
        assert [(n.user_id, n.subject_type, n.subject_id) for n in notices] == [
            (p["buyer"].id, "deal", deal.id), (colleague.id, "deal", deal.id)]
        startup = deal.seller
        # told once: the proposal notice stands for the deal's "opened" notice
        assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == p["buyer"].id)) == 1
        assert len(_outbox(p["buyer"].email)) == 1
        korean = [m for m in _outbox(p["buyer"].email) if "제안했습니다" in m.subject]
        assert len(korean) == 1, [m.subject for m in _outbox(p["buyer"].email)]
        assert (f"{startup.name_ko}에서 귀사의 수요 “배터리 수명 예측 필요”에 "
                "“배터리 열화 예측 AI” 기술을 제안했습니다.") in korean[0].body
        assert f"/ko/deals/{deal.id}" in korean[0].body and korean[0].deal_id == deal.id
        english = [m for m in _outbox(colleague.email) if "proposed" in m.subject]
        assert (f"{startup.name_en} proposed “Battery ageing AI” for your need "
                "“Battery ageing AI”.") in english[0].body
        # the startup itself is not told of its own proposal
        assert not db.session.scalar(sa.select(Notification.id).where(
            Notification.user_id == p["seller"].id))
    # the firm's notifications page lists it and leads to the deal
    login(client, p["buyer"], lang="ko")
    listed = client.get("/ko/notifications/").get_data(as_text=True)
    assert "제안했습니다" in listed and "data-unread-badge" in listed


def test_a_written_proposal_becomes_a_draft_offering_only_the_deal_shows(app, client, parties):
    p = parties
    login(client, p["seller"], lang="en")
    response = _propose_page(client, p, offering_id="", title="Cell-level ageing forecast",
                             summary="A six-week pilot on your line data.")
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    with app.app_context():
        (deal,) = _deals()
        offering = deal.offering
        assert (offering.status, offering.organisation_id, offering.title_en,
                offering.sector, offering.deal_types) == (
            ListingStatus.draft, p["seller"].organisation_id, "Cell-level ageing forecast",
            "ai", ["license"])
        assert offering.title_ko is None and len(offering.versions) == 1
        deal_id, offering_id = deal.id, offering.id
    login(client, p["buyer"], lang="en")
    page = client.get(f"/en/deals/{deal_id}").get_data(as_text=True)
    assert "Cell-level ageing forecast" in page and "A six-week pilot on your line data." in page
    assert client.get(f"/en/offerings/{offering_id}").status_code == 404  # not listed
    assert client.get("/en/offerings?q=ageing").get_data(as_text=True).count(
        "Cell-level ageing forecast") == 0


def test_a_written_proposal_needs_a_title_and_a_summary(app, client, parties):
    p = parties
    login(client, p["seller"], lang="ko")
    response = client.post(f"/ko/deals/propose/{p['need_id']}", data={
        "offering_id": "", "title": "", "summary": "", "deal_type": "license",
        "message": MESSAGE})
    assert response.status_code == 422
    assert 'id="title-errors"' in response.get_data(as_text=True)
    with app.app_context():
        assert _deals() == []
        assert db.session.scalar(sa.select(sa.func.count(Listing.id)).where(
            Listing.status == ListingStatus.draft)) == 0


def test_refusals(app, client, parties, make_user):
    p = parties
    unverified = make_user(kind="startup", verified=False, lang="en")
    with app.test_request_context():
        need = db.session.get(Listing, p["need_id"])
        offering = db.session.get(Listing, p["offering_id"])
        seller = load(p["seller"])
        # unverified startup, the need's own firm, another firm
        with pytest.raises(PermissionDenied) as exc:
            proposals.propose(load(unverified), need, deal_type="license", message="hi",
                              title="T", summary="S")
        assert "인증을 받아야 합니다" in str(exc.value.message)
        for who in ("buyer", "outsider"):
            with pytest.raises(PermissionDenied) as exc:
                proposals.propose(load(p[who]), need, deal_type="license", message="hi",
                                  title="T", summary="S")
            assert "스타트업뿐입니다" in str(exc.value.message)
        # a deal type the need does not accept, on both paths
        narrow = make_listing(p["buyer"].organisation_id, kind="need", deal_types=["poc"])
        for kwargs in ({"offering": offering}, {"title": "T", "summary": "S"}):
            with pytest.raises(DomainError) as exc:
                proposals.propose(seller, narrow, deal_type="license", message="hi", **kwargs)
            assert exc.value.status == 422 and "deal_type" in exc.value.fields
        # someone else's offering
        other = make_listing(p["outsider"].organisation_id)
        with pytest.raises(DomainError) as exc:
            proposals.propose(seller, need, deal_type="license", message="hi", offering=other)
        assert "offering_id" in exc.value.fields
        # a need that is not published, or hidden by staff
        draft = make_listing(p["buyer"].organisation_id, kind="need")
        draft.status = ListingStatus.draft
        hidden = make_listing(p["buyer"].organisation_id, kind="need")
        hidden.hidden_at = utcnow()
        for gone in (draft, hidden, offering):
            with pytest.raises(NotFound):
                proposals.propose(seller, gone, deal_type="license", message="hi",
                                  offering=offering)
        # twice while the first is open: 409, whichever offering or text
        first = proposals.propose(seller, need, deal_type="license", message="hi",
                                  offering=offering)
        for kwargs in ({"offering": offering}, {"offering": make_listing(
                seller.organisation_id)}, {"title": "T", "summary": "S"}):
            with pytest.raises(Conflict) as exc:
                proposals.propose(seller, need, deal_type="poc", message="again", **kwargs)
            assert f"(거래 #{first.id})" in str(exc.value.message)
        # once it has ended, the startup may propose again
        first.decline(load(p["buyer"]), "timing")
        again = proposals.propose(seller, need, deal_type="poc", message="again",
                                  title="T", summary="S")
        assert again.id != first.id


def test_refusals_on_the_pages(app, client, parties, make_user):
    p = parties
    unverified = make_user(kind="startup", verified=False, lang="en")
    login(client, unverified, lang="en")
    page = client.get(f"/en/needs/{p['need_id']}").get_data(as_text=True)
    assert ("Your startup must be verified by staff before it can propose its technology "
            "for a need.") in page and 'id="propose-form"' not in page
    refused = client.post(f"/en/deals/propose/{p['need_id']}", data={
        "offering_id": "", "title": "T", "summary": "S", "deal_type": "license",
        "message": MESSAGE})
    assert refused.status_code == 403
    assert "must be verified by staff" in refused.get_data(as_text=True)

    for who in ("outsider", "buyer"):  # a firm, and the need's own firm
        login(client, p[who], lang="ko")
        page = client.get(f"/ko/needs/{p['need_id']}").get_data(as_text=True)
        assert "우리 기술 제안하기" not in page and 'id="propose-form"' not in page
        refused = client.post(f"/ko/deals/propose/{p['need_id']}", data={
            "offering_id": "", "title": "T", "summary": "S", "deal_type": "license",
            "message": MESSAGE})
        assert refused.status_code == 403
        only = "수요에 기술을 제안할 수 있는 것은 스타트업뿐입니다."
        assert only in refused.get_data(as_text=True)
    anonymous = app.test_client().get(f"/ko/needs/{p['need_id']}").get_data(as_text=True)
    assert 'id="proposals"' not in anonymous

    login(client, p["seller"], lang="en")
    with app.app_context():
        narrow = make_listing(p["buyer"].organisation_id, kind="need", deal_types=["poc"])
        db.session.commit()
        narrow_id = narrow.id
    form = client.get(f"/en/needs/{narrow_id}").get_data(as_text=True)
    assert 'value="poc"' in form and 'value="license"' not in form
    refused = client.post(f"/en/deals/propose/{narrow_id}", data={
        "offering_id": str(p["offering_id"]), "deal_type": "license", "message": MESSAGE})
    assert refused.status_code == 400  # not one of the choices
    assert _propose_page(client, p).status_code == 303
    twice = _propose_page(client, p, offering_id="", title="T", summary="S")
    assert twice.status_code == 409
    assert "already has an open proposal for this need" in twice.get_data(as_text=True)


def _proposal(app, p) -> int:
    with app.test_request_context():
        deal = proposals.propose(load(p["seller"]), db.session.get(Listing, p["need_id"]),
                                 deal_type="license", message=MESSAGE,
                                 offering=db.session.get(Listing, p["offering_id"]))
        db.session.commit()
        return deal.id


def test_the_firm_lists_shortlists_and_declines_with_a_reason(app, client, parties):
    p = parties
    deal_id = _proposal(app, p)
    login(client, p["buyer"], lang="ko")
    page = client.get(f"/ko/needs/{p['need_id']}").get_data(as_text=True)
    assert "스타트업의 제안" in page and f'data-proposal="{deal_id}"' in page
    assert "배터리 열화 예측 AI" in page and "후보로 선정" in page

    shortlisted = client.post(f"/ko/deals/{deal_id}/shortlist", data={"from_need": "1"})
    assert shortlisted.status_code == 303
    assert shortlisted.location.endswith(f"/ko/needs/{p['need_id']}#proposals")
    again = client.post(f"/ko/deals/{deal_id}/shortlist", data={"from_need": "1"})
    assert again.status_code == 303  # explained on the need page
    assert "이 제안은 이미 후보로 선정되어 있습니다." in client.get(again.location).get_data(
        as_text=True)
    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert deal.shortlisted_at is not None and deal.state == DealState.inquiry
        shortlist_event = deal.events[-1]
        assert shortlist_event.kind == "shortlist"
        # the startup hears of it through the deal's own notices
        assert _told_of(shortlist_event) == [p["seller"].id]

    # "another reason" needs a word of explanation; nothing changes without one
    missing = client.post(f"/ko/deals/{deal_id}/decline-proposal", data={"reason": "other"})
    assert missing.status_code == 303
    with app.app_context():
        assert db.session.get(Deal, deal_id).state == DealState.inquiry
    declined = client.post(f"/ko/deals/{deal_id}/decline-proposal",
                           data={"reason": "too_early_trl", "note": "TRL 7 이상이 필요합니다."})
    assert declined.status_code == 303
    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert (deal.state, deal.end_reason, deal.end_note) == (
            DealState.declined, "too_early_trl", "TRL 7 이상이 필요합니다.")
        decline_event = deal.events[-1]
        assert decline_event.kind == "decline"
        assert _told_of(decline_event) == [p["seller"].id]
        told = [m for m in _outbox(p["seller"].email) if m.deal_id == deal_id]
        assert any("Declined" in m.subject for m in told), [m.subject for m in told]
    listed = client.get(f"/ko/needs/{p['need_id']}").get_data(as_text=True)
    assert "기술 성숙도(TRL)가 아직 부족합니다" in listed

    # what the startup sees on the deal: declined, with the reason in its language
    login(client, p["seller"], lang="en")
    seen = client.get(f"/en/deals/{deal_id}").get_data(as_text=True)
    assert "The technology is not mature enough yet (TRL)" in seen
    assert "TRL 7 이상이 필요합니다." in seen and 'data-state="declined"' in seen


def test_after_the_shortlist_the_deal_goes_on_as_any_other(app, client, parties):
    p = parties
    deal_id = _proposal(app, p)
    login(client, p["buyer"], lang="en")
    page = client.get(f"/en/deals/{deal_id}").get_data(as_text=True)
    assert 'id="shortlist"' in page and "Accept the inquiry" in page
    assert client.post(f"/en/deals/{deal_id}/shortlist").status_code == 303
    page = client.get(f"/en/deals/{deal_id}").get_data(as_text=True)
    assert 'id="shortlist"' not in page and "data-shortlisted" in page
    assert client.post(f"/en/deals/{deal_id}/accept", data={}).status_code == 303
    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert deal.state == DealState.negotiating
        with pytest.raises(Conflict):
            deal.shortlist(load(p["buyer"]))  # answered already


def test_who_sees_the_list_and_who_may_act(app, client, parties):
    p = parties
    deal_id = _proposal(app, p)
    login(client, p["staff"], lang="en")
    page = client.get(f"/en/needs/{p['need_id']}").get_data(as_text=True)
    assert f'data-proposal="{deal_id}"' in page
    assert f'/en/deals/{deal_id}/shortlist' not in page  # staff watch, the firm decides
    # staff and outsiders: as if there were no such deal
    for who in ("staff", "outsider"):
        login(client, p[who], lang="en")
        assert client.post(f"/en/deals/{deal_id}/shortlist").status_code == 404
        assert client.post(f"/en/deals/{deal_id}/decline-proposal",
                           data={"reason": "price"}).status_code == 404
        if who == "outsider":
            page = client.get(f"/en/needs/{p['need_id']}").get_data(as_text=True)
            assert f'data-proposal="{deal_id}"' not in page
    # the startup sees its deal but neither shortlists nor declines its own proposal
    login(client, p["seller"], lang="en")
    assert f'data-proposal="{deal_id}"' not in client.get(
        f"/en/needs/{p['need_id']}").get_data(as_text=True)
    assert client.post(f"/en/deals/{deal_id}/shortlist").status_code == 403
    assert client.post(f"/en/deals/{deal_id}/decline-proposal",
                       data={"reason": "price"}).status_code == 303  # refused, explained
    login(client, p["staff"], lang="en")
    assert client.get(f"/en/deals/{deal_id}").status_code == 404  # unassigned staff
    login(client, p["outsider"], lang="en")
    assert client.get(f"/en/deals/{deal_id}").status_code == 404
    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert deal.state == DealState.inquiry and deal.shortlisted_at is None
        assert [e.kind for e in deal.events] == ["open"]


def test_a_proposal_from_the_offering_page_is_a_proposal_too(app, parties):
    p = parties
    with app.test_request_context():
        from marketplace.deals import services

        deal = services.open_deal(load(p["seller"]), db.session.get(Listing, p["offering_id"]),
                                  db.session.get(Listing, p["need_id"]), deal_type="poc",
                                  message="hi")
        assert deal.is_proposal
        assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
            Notification.kind == "proposal_received",
            Notification.user_id == p["buyer"].id)) == 1
        assert db.session.scalar(sa.select(sa.func.count(DealEvent.id)).where(
            DealEvent.deal_id == deal.id)) == 1


def test_the_same_proposal_sent_at_once_opens_one_deal(app, parties, monkeypatch):
    """PostgreSQL: several connections of one startup send the same proposal at once; each has
    found the need open before the first takes the need's row lock."""
    from .test_races import _api_posts, _race

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("concurrent requests are served by PostgreSQL")
    p = parties
    offered = {"need_id": p["need_id"], "offering_id": p["offering_id"],
               "deal_type": "license", "message": MESSAGE}
    responses = _race(monkeypatch, _api_posts(app, p["seller"], "/api/v1/deals", 4, offered),
                      owner=Listing, name="is_public")
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409], responses
    with app.app_context():
        (deal,) = _deals()
        deal.decline(load(p["buyer"]), "timing")  # ended: the startup may propose again
        db.session.commit()
    written = {"need_id": p["need_id"], "title": "Cell-level ageing forecast",
               "summary": "A six-week pilot.", "deal_type": "poc", "message": MESSAGE}
    responses = _race(monkeypatch, _api_posts(app, p["seller"], "/api/v1/deals", 3, written),
                      owner=Listing, name="is_public")
    assert sorted(r.status_code for r in responses) == [201, 409, 409], responses
    with app.app_context():
        assert len(_deals()) == 2
        drafts = db.session.scalars(sa.select(Listing).where(
            Listing.status == ListingStatus.draft)).all()
        assert [d.title_en for d in drafts] == ["Cell-level ageing forecast"]
        assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
            Notification.kind == "proposal_received")) == 2
