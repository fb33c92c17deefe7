"""The NDA step as a document: the ``nda`` template rendered to a PDF from the deal and the
organisations, confirmed by both sides with its SHA-256 and their passwords."""

import hashlib
import re
import shutil
import subprocess

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import Organisation
from marketplace.agreements import nda
from marketplace.deals.events import DealEvent
from marketplace.deals.models import Deal
from marketplace.deals.states import DealState
from marketplace.errors import Conflict
from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD, login
from tests.deals.conftest import fill_nda_details, load, open_deal

requires_pdftotext = pytest.mark.skipif(not shutil.which("pdftotext"),
                                        reason="poppler-utils not installed")


def _nda_deal(p, seller_name=None, buyer_name=None, details=True) -> Deal:
    deal = open_deal(p, require_nda=True)
    deal.accept_inquiry(load(p["seller"]))
    if details:
        fill_nda_details(p, seller_name, buyer_name)
    return deal


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "nda.pdf"
    path.write_bytes(pdf)
    raw = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    return squeeze(raw.replace("-\n", ""))  # the columns wrap and hyphenate words


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _client(app, user, lang):
    client = app.test_client()
    login(client, user, lang=lang)
    return client


def _shown_sha256(client, lang, deal_id) -> str:
    page = client.get(f"/{lang}/deals/{deal_id}/nda").get_data(as_text=True)
    return re.search(r'name="sha256" type="hidden" value="([0-9a-f]{64})"', page).group(1)


@requires_pdftotext
def test_both_parties_confirm_the_nda_pdf_by_its_hash(app, parties, tmp_path):
    p = parties
    with app.test_request_context():
        deal_id = _nda_deal(p, seller_name="비전마켓", buyer_name="한빛전자").id
        db.session.commit()
    buyer, seller = _client(app, p["buyer"], "ko"), _client(app, p["seller"], "en")
    shown = _shown_sha256(buyer, "ko", deal_id)
    assert _shown_sha256(seller, "en", deal_id) == shown  # one document for both
    download = buyer.get(f"/ko/deals/{deal_id}/nda.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert hashlib.sha256(download.data).hexdigest() == shown
    assert download.headers["X-Content-SHA256"] == shown
    text = _text(download.data, tmp_path)
    for phrase in ('비전마켓(이하 "갑"이라 한다)과 한빛전자(이하 "을"이라 한다)는',
                   "「배터리 열화 예측 AI」에 관한 기술실시(라이선스) 거래를 "
                   "검토하고 협상하기 위함",
                   "evaluating and negotiating a technology licence concerning “Battery ageing AI”",
                   "대전광역시 유성구 대학로 99", "서울특별시 강남구 테헤란로 321"):
        assert squeeze(phrase) in text, phrase

    wrong = buyer.post(f"/ko/deals/{deal_id}/nda/confirm",
                       data={"sha256": shown, "password": "not-my-password"})
    assert wrong.status_code == 403
    assert "비밀번호가 올바르지 않습니다" in wrong.get_data(as_text=True)
    assert buyer.post(f"/ko/deals/{deal_id}/nda/confirm",
                      data={"sha256": shown, "password": TEST_PASSWORD}).status_code == 303
    assert seller.post(f"/en/deals/{deal_id}/nda/confirm",
                       data={"sha256": shown, "password": TEST_PASSWORD}).status_code == 303
    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert deal.state == DealState.negotiating and deal.nda_passed
        digests = db.session.scalars(sa.select(DealEvent.payload).where(
            DealEvent.deal_id == deal_id, DealEvent.kind == "confirm_nda")).all()
        assert [d["nda_digest"] for d in digests] == [shown, shown]
    # the confirmed PDF stays downloadable for the parties
    assert buyer.get(f"/ko/deals/{deal_id}/nda.pdf").data == download.data


@requires_pdftotext
def test_particles_follow_the_names_either_way_round(ctx, parties, tmp_path):
    deal = _nda_deal(parties, seller_name="한빛전자", buyer_name="비전마켓")
    text = _text(nda.pdf(deal)[0], tmp_path)
    assert squeeze('한빛전자(이하 "갑"이라 한다)와 비전마켓(이하 "을"이라 한다)은') in text


def test_outsiders_get_404_and_the_assigned_staff_may_read(app, parties):
    p = parties
    with app.test_request_context():
        deal = _nda_deal(p)
        deal.assigned_staff_id = p["staff"].id
        db.session.commit()
        deal_id = deal.id
    for who in ("outsider", "other_staff"):
        client = _client(app, p[who], "ko")
        for url in (f"/ko/deals/{deal_id}/nda", f"/ko/deals/{deal_id}/nda.pdf"):
            assert client.get(url).status_code == 404, (who, url)
        assert client.post(f"/ko/deals/{deal_id}/nda/confirm", data={
            "sha256": "0" * 64, "password": TEST_PASSWORD}).status_code == 404
    staff = _client(app, p["staff"], "ko")
    assert staff.get(f"/ko/deals/{deal_id}/nda.pdf").status_code == 200
    with app.app_context():
        assert db.session.get(Deal, deal_id).state == DealState.nda


def test_a_stale_hash_is_refused(app, parties):
    """The buyer read the NDA; then the seller's address changed, so the PDF did too."""
    p = parties
    with app.test_request_context():
        deal_id = _nda_deal(p).id
        db.session.commit()
    buyer = _client(app, p["buyer"], "ko")
    shown = _shown_sha256(buyer, "ko", deal_id)
    with app.app_context():
        db.session.get(Organisation, p["seller"].organisation_id).address_ko = \
            "대전광역시 유성구 가정로 218"
        db.session.commit()
    stale = buyer.post(f"/ko/deals/{deal_id}/nda/confirm",
                       data={"sha256": shown, "password": TEST_PASSWORD})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "비밀유지계약서가 변경되었습니다" in page and "sha256:" not in page
    current = _shown_sha256(buyer, "ko", deal_id)
    assert current != shown
    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert deal.state == DealState.nda and deal.nda_buyer_confirmed_at is None
    assert buyer.post(f"/ko/deals/{deal_id}/nda/confirm",
                      data={"sha256": current, "password": TEST_PASSWORD}).status_code == 303
    # once a side confirmed, the document no longer changes under it
    with app.app_context():
        db.session.get(Organisation, p["seller"].organisation_id).address_ko = "세종특별자치시"
        db.session.commit()
    seller = _client(app, p["seller"], "en")
    assert _shown_sha256(seller, "en", deal_id) == current


def test_missing_details_are_named_and_nothing_can_be_confirmed(app, parties):
    p = parties
    with app.test_request_context():
        deal = _nda_deal(p, details=False)
        assert nda.prepare(deal) is None
        with pytest.raises(Conflict):
            nda.confirm(deal, load(p["buyer"]), sha256="0" * 64,
                                 password=TEST_PASSWORD)
        db.session.commit()
        deal_id = deal.id
    buyer = _client(app, p["buyer"], "en")
    page = buyer.get(f"/en/deals/{deal_id}/nda").get_data(as_text=True)
    assert 'id="nda-missing"' in page and "Address" in page
    assert f"/organisations/{p['buyer'].organisation_id}/details" in page
    assert buyer.get(f"/en/deals/{deal_id}/nda.pdf").status_code == 404
    refused = buyer.post(f"/en/deals/{deal_id}/nda/confirm",
                         data={"sha256": "0" * 64, "password": TEST_PASSWORD})
    assert refused.status_code == 409
    assert "once both organisations have filled in their details" in refused.get_data(
        as_text=True)


def test_a_foreign_organisation_needs_no_korean_registration_number(ctx, parties):
    deal = _nda_deal(parties)
    values = nda.variables(deal)
    assert deal.seller.country != "KR" and values["discloser"]["registration_no"] == "—"
    assert nda.missing_details(deal) == []


def test_the_api_confirms_by_hash_and_password(app, client, parties):
    from marketplace.api.tokens import create_token

    p = parties
    with app.test_request_context():
        deal_id = _nda_deal(p).id
        tokens = {who: create_token(load(p[who]), "t")[1] for who in ("buyer", "seller")}
        db.session.commit()

    def headers(who):
        return {"Authorization": f"Bearer {tokens[who]}"}

    document = client.get(f"/api/v1/deals/{deal_id}/nda", headers=headers("buyer")).get_json()
    assert document["missing"] == [] and len(document["sha256"]) == 64
    pdf = client.get(f"/api/v1/deals/{deal_id}/nda/pdf", headers=headers("seller"))
    assert hashlib.sha256(pdf.data).hexdigest() == document["sha256"]
    url = f"/api/v1/deals/{deal_id}/nda/confirm"
    stale = client.post(url, headers=headers("buyer"),
                        json={"sha256": "0" * 64, "password": TEST_PASSWORD})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "conflict"
    for who in ("buyer", "seller"):
        answer = client.post(url, headers=headers(who),
                             json={"sha256": document["sha256"], "password": TEST_PASSWORD})
        assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["state"] == "negotiating"



def test_a_deal_without_an_nda_lists_nothing_missing(app, parties):
    p = parties
    with app.test_request_context():
        deal = open_deal(p)
        deal.accept_inquiry(load(p["seller"]))
        db.session.commit()
        deal_id = deal.id
    page = _client(app, p["buyer"], "en").get(f"/en/deals/{deal_id}/nda")
    assert page.status_code == 200 and 'id="nda-missing"' not in page.get_data(as_text=True)


def test_a_refusal_never_says_whether_the_password_was_right(app, client, parties):
    """A stale or repeated confirmation is a 409 whatever the password: the password is
    checked last, so the NDA step cannot be used to guess it."""
    from marketplace.api.tokens import create_token

    p = parties
    with app.test_request_context():
        deal_id = _nda_deal(p).id
        token = create_token(load(p["buyer"]), "t")[1]
        db.session.commit()
    url = f"/api/v1/deals/{deal_id}/nda/confirm"
    headers = {"Authorization": f"Bearer {token}"}
    for password in ("not-my-password", TEST_PASSWORD):
        answer = client.post(url, headers=headers, json={"sha256": "0" * 64,
                                                         "password": password})
        assert answer.status_code == 409, password


def test_password_attempts_are_limited_like_sign_ins(app, client, parties, monkeypatch):
    from marketplace.api.tokens import create_token
    from marketplace.extensions import limiter

    p = parties
    with app.test_request_context():
        deal_id = _nda_deal(p).id
        token = create_token(load(p["buyer"]), "t")[1]
        db.session.commit()
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    limiter.reset()
    try:
        statuses = [client.post(f"/api/v1/deals/{deal_id}/nda/confirm",
                                headers={"Authorization": f"Bearer {token}"},
                                json={"sha256": "0" * 64, "password": "guess"}).status_code
                    for _ in range(4)]
    finally:
        limiter.reset()
    assert statuses == [409, 409, 409, 429]


def test_a_deal_half_way_through_the_nda_gets_its_document(app, parties):
    """A side confirmed before the NDA became a PDF: the other side is shown the PDF and its
    confirmation completes the step."""
    p = parties
    with app.test_request_context():
        deal = _nda_deal(p)
        deal.nda_seller_confirmed_at = deal.created_at
        deal.nda_seller_confirmed_by_id = p["seller"].id
        deal.nda_sha256 = None
        db.session.commit()
        deal_id = deal.id
    buyer = _client(app, p["buyer"], "ko")
    shown = _shown_sha256(buyer, "ko", deal_id)
    assert buyer.post(f"/ko/deals/{deal_id}/nda/confirm",
                      data={"sha256": shown, "password": TEST_PASSWORD}).status_code == 303
    with app.app_context():
        assert db.session.get(Deal, deal_id).state == DealState.negotiating


def test_the_deal_page_says_in_one_sentence_who_confirmed_the_nda(app, parties):
    """Korean puts the subject before the verb: the status is one translated sentence per
    case, never "구매자, 판매자 확인함" assembled from words."""
    p = parties
    with app.test_request_context():
        deal_id = _nda_deal(p).id
        db.session.commit()
    buyer, seller = _client(app, p["buyer"], "ko"), _client(app, p["seller"], "en")
    assert "아직 어느 쪽도 확인하지 않았습니다" in buyer.get(f"/ko/deals/{deal_id}").get_data(
        as_text=True)
    shown = _shown_sha256(buyer, "ko", deal_id)
    assert buyer.post(f"/ko/deals/{deal_id}/nda/confirm",
                      data={"sha256": shown, "password": TEST_PASSWORD}).status_code == 303
    page = buyer.get(f"/ko/deals/{deal_id}").get_data(as_text=True)
    assert "필요합니다. 구매자가 확인했습니다." in page
    assert "Required; the buyer has confirmed it." in seller.get(
        f"/en/deals/{deal_id}").get_data(as_text=True)
