"""The same action sent several times at once on one deal has one winner: the others get 409
(or a clear message on the page), never a 500 and never a second event.

Each request runs in its own thread with its own test client (so its own database connection);
all of them have read the deal before the first one takes its row lock. PostgreSQL only: it is
the database that serves concurrent requests.
"""

import threading

import pytest
import sqlalchemy as sa

from marketplace.agreements import nda
from marketplace.agreements.models import Contract
from marketplace.api.tokens import create_token
from marketplace.deals.events import DealEvent
from marketplace.deals.models import Deal
from marketplace.deals.states import DealState
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.listings.models import Listing
from tests.agreements.conftest import agree
from tests.conftest import TEST_PASSWORD, login

from .conftest import LICENSE, fill_nda_details, load, negotiating_deal, open_deal


@pytest.fixture(autouse=True)
def _postgres_only(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("concurrent requests are served by PostgreSQL")


def _race(monkeypatch, calls, owner=Deal, name="_lock"):
    """Run every `call()` in its own thread; each waits at its first use of `owner.name` (by
    default the deal's row lock) until all have got there, having read what they act on.
    Returns what each call returned (or raised)."""
    barrier = threading.Barrier(len(calls))
    original = owner.__dict__[name]
    waited = threading.local()

    def wait():
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait(timeout=20)

    if isinstance(original, property):
        gated = property(lambda obj: wait() or original.fget(obj))
    else:
        def gated(obj, *args, **kwargs):
            wait()
            return original(obj, *args, **kwargs)

    monkeypatch.setattr(owner, name, gated)
    results = [None] * len(calls)

    def run(index, call):
        try:
            results[index] = call()
        except Exception as exc:  # pragma: no cover - shown in the assertions
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    monkeypatch.setattr(owner, name, original)
    return results


def _client(app, user, lang):
    client = app.test_client()
    login(client, user, lang=lang)
    return client


def _post(client, url):
    return lambda: client.post(url, data={})


def _events(app, deal_id, kind):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(DealEvent.id)).where(
            DealEvent.deal_id == deal_id, DealEvent.kind == kind))


def _statuses(responses):
    return sorted(getattr(r, "status_code", r) for r in responses)


def test_ten_help_requests_at_once_write_one_event(app, parties, monkeypatch):
    p = parties
    with app.test_request_context():
        deal_id = negotiating_deal(p).id
        db.session.commit()
    clients = [_client(app, p["buyer" if n % 2 else "seller"], "en") for n in range(10)]
    responses = _race(monkeypatch, [_post(c, f"/en/deals/{deal_id}/help") for c in clients])
    assert _statuses(responses) == [303] + [409] * 9, responses
    refused = next(r for r in responses if r.status_code == 409).get_data(as_text=True)
    assert "Staff help has already been requested for this deal." in refused
    assert _events(app, deal_id, "request_help") == 1


def test_two_staff_claiming_at_once_one_gets_the_deal(app, parties, monkeypatch):
    p = parties
    with app.test_request_context():
        deal = negotiating_deal(p)
        deal.request_help(load(p["buyer"]), "도와주세요")
        db.session.commit()
        deal_id = deal.id
    first, second = _client(app, p["staff"], "en"), _client(app, p["other_staff"], "ko")
    responses = _race(monkeypatch, [_post(first, f"/en/deals/{deal_id}/claim"),
                                    _post(second, f"/ko/deals/{deal_id}/claim")])
    assert [r.status_code for r in responses] == [303, 303], responses
    won = [r for r in responses if r.location.endswith(f"/deals/{deal_id}")]
    lost = [r for r in responses if r.location.endswith("/deals/staff/queue")]
    assert len(won) == len(lost) == 1, [r.location for r in responses]
    loser = first if lost[0] is responses[0] else second
    queue = loser.get(lost[0].location).get_data(as_text=True)
    assert ("Another staff member has already taken this deal on." in queue
            or "다른 직원이 이미 이 거래를 맡았습니다." in queue)
    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        winner = p["staff"] if won[0] is responses[0] else p["other_staff"]
        assert deal.assigned_staff_id == winner.id
    assert _events(app, deal_id, "claim") == 1


def test_six_contract_starts_at_once_make_one_contract(app, parties, monkeypatch):
    p = parties
    with app.test_request_context():
        deal_id = agree(p).id
        db.session.commit()
    clients = [_client(app, p["buyer" if n % 2 else "seller"], "en") for n in range(6)]
    responses = _race(monkeypatch, [_post(c, f"/en/deals/{deal_id}/contract/start")
                                    for c in clients])
    assert _statuses(responses) == [303] + [409] * 5, responses
    refused = next(r for r in responses if r.status_code == 409).get_data(as_text=True)
    assert "The contract draft has already been started." in refused
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Contract.id))) == 1
        assert db.session.get(Deal, deal_id).state == DealState.drafting
    assert _events(app, deal_id, "start_drafting") == 1


def _api_posts(app, user, url, count, body=None):
    """`count` calls posting to `url`, each with its own token (a request records its token's
    last use, which would queue the requests one behind the other)."""
    with app.test_request_context():
        tokens = [create_token(db.session.merge(user), f"t{n}")[1] for n in range(count)]
        db.session.commit()
    return [lambda token=token: app.test_client().post(
        url, json=body or {}, headers={"Authorization": f"Bearer {token}"}) for token in tokens]


def test_opening_the_same_deal_at_once_opens_it_once(app, parties, monkeypatch):
    p = parties
    body = {"offering_id": p["offering_id"], "deal_type": "license",
            "message": "라이선스 조건을 협의하고 싶습니다."}
    # every request has found the offering available before the first one opens the deal
    responses = _race(monkeypatch, _api_posts(app, p["buyer"], "/api/v1/deals", 4, body),
                      owner=Listing, name="is_public")
    assert _statuses(responses) == [201, 409, 409, 409], responses
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Deal.id))) == 1


def test_a_transition_repeated_at_once_is_one_success_and_409s_in_the_api(app, parties,
                                                                        monkeypatch):
    p = parties
    with app.test_request_context():
        deal_id = negotiating_deal(p).id
        db.session.commit()
    responses = _race(monkeypatch, _api_posts(app, p["buyer"],
                                              f"/api/v1/deals/{deal_id}/withdraw", 4))
    assert _statuses(responses) == [200, 409, 409, 409], responses
    assert all(r.get_json()["error"]["code"] == "conflict"
               for r in responses if r.status_code == 409)
    assert _events(app, deal_id, "withdraw") == 1


def test_accepting_the_same_terms_twice_at_once_in_the_api(app, parties, monkeypatch):
    p = parties
    with app.test_request_context():
        deal = negotiating_deal(p)
        deal.propose_terms(load(p["buyer"]), None, LICENSE)
        db.session.commit()
        deal_id = deal.id
    responses = _race(monkeypatch, _api_posts(app, p["seller"],
                                              f"/api/v1/deals/{deal_id}/terms/1/accept", 3))
    assert _statuses(responses) == [200, 409, 409], responses
    assert _events(app, deal_id, "accept_terms") == 1


def test_both_sides_confirming_the_nda_at_once_start_the_negotiation(app, parties,
                                                                    monkeypatch):
    p = parties
    with app.test_request_context():
        deal = open_deal(p, require_nda=True)
        deal.accept_inquiry(load(p["seller"]))
        fill_nda_details(p)
        confirmation = {"sha256": nda.prepare(deal), "password": TEST_PASSWORD}
        db.session.commit()
        deal_id = deal.id
        assert deal.state == DealState.nda
    clients = [_client(app, p["buyer"], "ko"), _client(app, p["seller"], "en")]
    responses = _race(monkeypatch, [
        lambda: clients[0].post(f"/ko/deals/{deal_id}/nda/confirm", data=confirmation),
        lambda: clients[1].post(f"/en/deals/{deal_id}/nda/confirm", data=confirmation)])
    assert _statuses(responses) == [303, 303], responses
    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert deal.state == DealState.negotiating and deal.nda_passed


def test_a_stale_expiry_never_ends_a_deal_that_just_saw_activity(app, parties, monkeypatch):
    """The expiry job reads an idle deal; a message arrives; the job must leave it open."""
    from datetime import timedelta

    from marketplace.clock import utcnow
    from marketplace.deals import messages

    p = parties
    with app.test_request_context():
        deal = negotiating_deal(p)
        db.session.commit()
        deal_id = deal.id
        db.session.execute(sa.update(Deal).where(Deal.id == deal_id).values(
            last_activity_at=utcnow() - timedelta(days=90)))
        db.session.commit()
    cutoff = utcnow() - timedelta(days=30)

    def expire():
        with app.test_request_context():
            deal = db.session.get(Deal, deal_id)
            try:
                deal.expire(inactive_before=cutoff)
                db.session.commit()
                return "expired"
            except Conflict:
                db.session.rollback()
                return "kept"
            finally:
                db.session.remove()

    def message():
        with app.test_request_context():
            deal = db.session.get(Deal, deal_id)
            try:
                messages.post_message(deal, load(p["buyer"]), "아직 검토 중입니다.")
                db.session.commit()
                return "posted"
            except Conflict:
                db.session.rollback()
                return "refused"
            finally:
                db.session.remove()

    results = _race(monkeypatch, [message, expire])
    with app.app_context():
        state = db.session.get(Deal, deal_id).state
    # whichever took the lock first wins; the other sees what it committed
    assert (results, state) in ((["posted", "kept"], DealState.negotiating),
                                (["refused", "expired"], DealState.expired)), results
