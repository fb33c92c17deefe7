"""With Redis unreachable every page still answers and every job waits in the outbox; once Redis
is back, a burst worker hands them over and runs them all."""

from datetime import date

import pytest
import sqlalchemy as sa

from marketplace import jobs
from marketplace.agreements.models import Contract, ContractStatus
from marketplace.api.tokens import create_token
from marketplace.extensions import db, limiter
from marketplace.jobs import JobOutbox, JobRun
from marketplace.mail.models import OutboxMessage
from marketplace.matching.records import Match
from marketplace.payments import ledger
from tests.agreements.test_pages import DETAILS, _form_values
from tests.conftest import TEST_PASSWORD, login, make_test_app
from tests.deals.conftest import LICENSE, load, open_deal
from tests.deals.conftest import parties as parties  # noqa: F401 (the fixture)
from tests.payments.conftest import sign_deal

CLOSED_REDIS = "redis://127.0.0.1:1/0"

MAIL = "marketplace.mail.services.deliver"
DEAL_MAIL = "marketplace.notifications.services.email_notification"
MATCHES = "marketplace.matching.jobs.recompute_listing_job"
RENDER = "marketplace.agreements.jobs.render_contract"
HELP = "marketplace.deals.notifications.email_help_request"

OFFERING = {
    "title_ko": "배터리 수명 예측 AI", "summary_ko": "전기차 배터리의 열화를 예측합니다",
    "description_ko": "배터리 사용 이력으로 남은 수명을 예측하는 AI 모델입니다.",
    "sector": "ai", "trl": "6", "deal_types": ["license", "poc"], "keywords": "배터리, 수명",
    "currency": "KRW", "price_min": "10000000", "price_max": "60000000", "ip_status": "none",
    "action": "publish",
}
TERMS = {"based_on_version": "0", "currency": "KRW", "upfront_fee": "50,000,000",
         "royalty_percent": "3.5", "field_of_use_ko": "EV", "territory_ko": "대한민국",
         "exclusivity": "exclusive", "term_months": "36"}


@pytest.fixture
def down(app):
    """The app as another process runs it while Redis is unreachable (jobs and rate limits)."""
    down = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=CLOSED_REDIS,
                         RATELIMIT_STORAGE_URI=CLOSED_REDIS, LOGIN_RATE_LIMIT="100 per minute",
                         RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 1},
                         MATCHING_AUTO=True)
    yield down
    with down.app_context():
        db.engine.dispose()
    limiter.init_app(app)  # one limiter for every app: give it the session app's storage back


class Outbox:
    """The outbox rows each step added; all must still wait."""

    def __init__(self, app):
        self.app, self.seen = app, 0

    def added(self, response, *names):
        assert response.status_code < 500, response.get_data(as_text=True)[-1500:]
        with self.app.app_context():
            rows = db.session.scalars(sa.select(JobOutbox).where(
                JobOutbox.id > self.seen).order_by(JobOutbox.id)).all()
            assert all(r.handed_over_at is None for r in rows)
            self.seen = max([self.seen] + [r.id for r in rows])
            assert set(names) <= {r.name for r in rows}, [r.name for r in rows]
        return response


def _before_the_outage(app, p):
    """A deal agreed on a fresh offering (for the contract), one signed with its payment
    requested (for the transfer) and API tokens, with jobs still running inline."""
    with app.test_request_context():
        for name in ("outsider", "seller"):
            user = db.session.merge(p[name])
            p[f"{name}_api"] = {"Authorization": f"Bearer {create_token(user, 't')[1]}"}
        deal = open_deal(p, fresh=True)
        deal.accept_inquiry(load(p["seller"]))
        deal.propose_terms(load(p["buyer"]), None, LICENSE)
        deal.accept_terms(load(p["seller"]), 1)
        db.session.commit()
        agreed_id = deal.id
        signed_id = sign_deal(p)
        [request] = ledger.requests_of(signed_id)
        return agreed_id, signed_id, request.id


def _client(app, user, lang="ko"):
    client = app.test_client()
    login(client, user, lang=lang)
    return client


def test_with_redis_down_nothing_fails_and_every_job_runs_once_it_is_back(
        app, down, parties, redis_url, monkeypatch):
    p = parties
    agreed_id, signed_id, request_id = _before_the_outage(app, p)
    outbox = Outbox(down)
    with down.app_context():
        outbox.seen = db.session.scalar(sa.select(sa.func.max(JobOutbox.id))) or 0

    visitor = down.test_client()
    registered = outbox.added(visitor.post("/ko/register", data={
        "email": "new@startup.kr", "password": TEST_PASSWORD, "confirm": TEST_PASSWORD,
        "display_name": "신규", "org_kind": "startup", "org_name_ko": "새싹로보틱스",
        "country": "KR", "business_registration_no": "220-81-62517",
        "preferred_language": "ko"}))
    assert registered.status_code == 302
    reset = outbox.added(visitor.post("/ko/password/forgot", data={"email": p["buyer"].email}),
                         MAIL)
    assert reset.status_code == 302
    buyer = _client(down, p["buyer"])  # signing in asserts a redirect, not a 500
    seller = _client(down, p["seller"], lang="en")

    published = outbox.added(seller.post("/en/offerings/new", data=OFFERING), MATCHES)
    offering_id = int(published.headers["Location"].rstrip("/").split("/")[-1])
    opened = outbox.added(buyer.post(f"/ko/deals/new?offering={offering_id}", data={
        "deal_type": "license", "need_id": "", "message": "관심 있습니다"}), DEAL_MAIL)
    deal_id = int(opened.headers["Location"].rstrip("/").split("/")[-1])
    outbox.added(seller.post(f"/en/deals/{deal_id}/accept", data={}), DEAL_MAIL)
    outbox.added(buyer.post(f"/ko/deals/{deal_id}/messages", data={"body": "견적서를 보냅니다"}),
                 DEAL_MAIL)
    outbox.added(buyer.post(f"/ko/deals/{deal_id}/terms/new", data=TERMS), DEAL_MAIL)
    outbox.added(seller.post(f"/en/deals/{deal_id}/terms/1/accept"), DEAL_MAIL)
    outbox.added(buyer.post(f"/ko/deals/{deal_id}/withdraw", data={"note": "다음에"}),
                 DEAL_MAIL)

    api = down.test_client()
    opened = outbox.added(api.post("/api/v1/deals", headers=p["outsider_api"], json={
        "offering_id": offering_id, "deal_type": "poc", "message": "PoC를 제안합니다."}),
        DEAL_MAIL)
    assert opened.status_code == 201, opened.get_json()
    declined = outbox.added(api.post(f"/api/v1/deals/{opened.get_json()['id']}/decline",
                                     headers=p["seller_api"], json={"reason": "timing"}),
                            DEAL_MAIL)
    assert declined.get_json()["state"] == "declined"
    outbox.added(buyer.post(f"/ko/deals/{agreed_id}/help", data={"note": "계약서 검토 부탁"}),
                 HELP)

    outbox.added(buyer.post(f"/ko/deals/{agreed_id}/contract/start"), DEAL_MAIL)
    form = buyer.get(f"/ko/deals/{agreed_id}/contract/details").get_data(as_text=True)
    outbox.added(buyer.post(f"/ko/deals/{agreed_id}/contract/details",
                            data={**_form_values(form), **DETAILS}), DEAL_MAIL)
    outbox.added(seller.post(f"/en/deals/{agreed_id}/contract/approve"), DEAL_MAIL)
    outbox.added(buyer.post(f"/ko/deals/{agreed_id}/contract/approve"), RENDER)

    prefix = f"t{request_id}-"
    outbox.added(buyer.post(f"/ko/payments/requests/{request_id}/transfer", data={
        prefix + "reference": "KB 20261130-0001", prefix + "value_date": date.today().isoformat(),
    }))  # a declaration asks for no job: it only must not fail
    with down.app_context():
        entry_id = ledger.ledger_of(signed_id)[-1].id
    outbox.added(seller.post(f"/en/payments/entries/{entry_id}/confirm"), DEAL_MAIL)

    # Redis is back: a burst worker hands over what waited, and runs it all.
    monkeypatch.setitem(down.config, "REDIS_URL", redis_url)
    with down.app_context():
        connection = jobs.redis_connection()
        connection.flushdb()
    try:
        result = down.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
        assert result.exit_code == 0, result.output
    finally:
        connection.flushdb()
    with down.app_context():
        assert db.session.scalar(sa.select(sa.func.count(JobOutbox.id)).where(
            JobOutbox.handed_over_at.is_(None))) == 0
        statuses = db.session.scalars(sa.select(JobRun.status)).all()
        assert set(statuses) == {"succeeded"}
        mail = db.session.scalars(sa.select(OutboxMessage.status)).all()
        assert mail and set(mail) == {"logged"}  # every e-mail delivered
        assert db.session.scalar(sa.select(Contract.status).join(Contract.deal).where(
            Contract.deal_id == agreed_id)) == ContractStatus.rendered
        assert db.session.scalar(sa.select(sa.func.count(Match.id)).where(
            Match.offering_id == offering_id)) >= 1
