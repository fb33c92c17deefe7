"""The NDA gate opens confidential listing sections and files; the conversation checks files by
content and size, serves them through permission checks, and notifies the other side."""

import io

import pytest
import sqlalchemy as sa

from marketplace.agreements import nda as nda_document
from marketplace.deals import messages
from marketplace.deals.events import DealEvent
from marketplace.deals.states import DealState
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.listings.confidential import can_see_confidential
from marketplace.listings.models import Listing
from marketplace.mail.models import OutboxMessage
from marketplace.notifications.models import Notification
from tests.conftest import TEST_PASSWORD, login

from .conftest import fill_nda_details, load, open_deal

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def attachment_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "DEAL_ATTACHMENT_DIR", str(tmp_path))


def test_nda_gate_domain(ctx, parties):
    p = parties
    deal = open_deal(p, require_nda=True, with_need=True)
    buyer, seller = load(p["buyer"]), load(p["seller"])
    offering = db.session.get(Listing, p["offering_id"])
    need = db.session.get(Listing, p["need_id"])
    secret = messages.post_message(deal, seller, "our numbers", [("numbers.pdf", PDF)],
                                   confidential=True).attachments[0]
    deal.accept_inquiry(seller)
    assert deal.state == DealState.nda
    assert not can_see_confidential(offering, buyer) and not can_see_confidential(need, seller)
    assert not secret.visible_to(deal, buyer) and secret.visible_to(deal, seller)
    with pytest.raises(DomainError):
        deal.propose_terms(buyer, None, {"currency": "KRW"})  # no terms before the NDA
    fill_nda_details(p)
    sha256 = nda_document.prepare(deal)
    nda_document.confirm(deal, buyer, sha256=sha256, password=TEST_PASSWORD)
    assert deal.state == DealState.nda
    with pytest.raises(DomainError):  # once per side
        nda_document.confirm(deal, load(p["buyer"]), sha256=sha256, password=TEST_PASSWORD)
    nda_document.confirm(deal, seller, sha256=sha256, password=TEST_PASSWORD)
    assert deal.state == DealState.negotiating and deal.nda_passed
    assert can_see_confidential(offering, buyer) and can_see_confidential(need, seller)
    assert secret.visible_to(deal, buyer)
    assert not can_see_confidential(offering, load(p["outsider"]))
    confirmations = [e for e in deal.events if e.kind == "confirm_nda"]
    assert len(confirmations) == 2
    assert confirmations[0].payload["nda_digest"] == nda_document.prepare(deal)


def test_nda_pages(app, client, parties, login_as):
    p = parties
    with app.test_request_context():
        deal = open_deal(p, require_nda=True)
        messages.post_message(deal, load(p["seller"]), "plans", [("plan.pdf", PDF)],
                              confidential=True)
        deal.accept_inquiry(load(p["seller"]))
        fill_nda_details(p)
        sha256 = nda_document.prepare(deal)
        db.session.commit()
        deal_id = deal.id
    login_as(p["buyer"], lang="en")
    page = client.get(f"/en/deals/{deal_id}").get_data(as_text=True)
    assert "Secret process notes" not in page
    assert "shown once both sides have confirmed the NDA" in page
    nda = client.get(f"/en/deals/{deal_id}/nda").get_data(as_text=True)
    assert p["seller"].organisation.name_en in nda and "SHA-256" in nda
    assert client.get(f"/ko/deals/{deal_id}/nda").get_data(as_text=True).count("비밀유지") >= 1
    with app.app_context():
        from marketplace.deals.messages import DealAttachment

        attachment_id = db.session.scalar(sa.select(DealAttachment.id))
    assert client.get(f"/en/deals/{deal_id}/attachments/{attachment_id}").status_code == 404
    confirmation = {"sha256": sha256, "password": TEST_PASSWORD}
    assert client.post(f"/en/deals/{deal_id}/nda/confirm",
                       data=confirmation).status_code == 303
    seller = app.test_client()
    login(seller, p["seller"], lang="en")
    assert seller.post(f"/en/deals/{deal_id}/nda/confirm",
                       data=confirmation).status_code == 303
    page = client.get(f"/en/deals/{deal_id}").get_data(as_text=True)
    assert "Secret process notes" in page
    download = client.get(f"/en/deals/{deal_id}/attachments/{attachment_id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    download.close()


def test_files_are_checked_by_content_and_size(ctx, parties, app, monkeypatch):
    p = parties
    deal = open_deal(p)
    buyer = load(p["buyer"])
    for name, data in [("report.pdf", PNG), ("run.exe", b"MZ\x90\x00"), ("notes.pdf", b""),
                       ("image.png", PDF)]:
        with pytest.raises(DomainError) as exc:
            messages.post_message(deal, buyer, "x", [(name, data)])
        assert "attachment" in exc.value.fields
    docx = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    message = messages.post_message(deal, buyer, "", [("../../제안서.docx", docx.getvalue())])
    assert message.attachments[0].filename == "제안서.docx"
    assert messages.attachment_path(message.attachments[0]).read_bytes() == docx.getvalue()
    monkeypatch.setitem(app.config, "DEAL_ATTACHMENT_MAX_BYTES", 40)
    with pytest.raises(DomainError):
        messages.post_message(deal, buyer, "x", [("big.pdf", PDF + b"0" * 40)])


def test_message_notifies_other_side_and_staff(app, client, parties, login_as):
    p = parties
    with app.test_request_context():
        deal = open_deal(p)
        deal.accept_inquiry(load(p["seller"]))
        deal.assign_staff(load(p["admin"]), load(p["staff"]))
        db.session.commit()
        deal_id = deal.id
    login_as(p["buyer"])
    response = client.post(f"/ko/deals/{deal_id}/messages", data={
        "body": "견적서를 보냅니다", "attachment": (io.BytesIO(PDF), "견적서.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        message_event = db.session.scalar(sa.select(DealEvent.id).where(
            DealEvent.deal_id == deal_id, DealEvent.kind == "post_message"))
        notices = [n for n in db.session.scalars(sa.select(Notification))
                   if n.data == {"event_id": message_event}]
        assert {n.user_id for n in notices} == {p["seller"].id, p["staff"].id}
        assert all(n.emailed_at is not None for n in notices)
        mails = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        last = [m for m in mails if m.recipient == p["seller"].email][-1]
        assert last.subject.startswith("[Tech Trade-On] Deal #") and "Sent a message" in \
            last.subject
        assert "견적서를 보냅니다" not in last.body  # content stays on the platform
    seller = app.test_client()
    login(seller, p["seller"], lang="en")
    page = seller.get("/en/deals/").get_data(as_text=True)
    assert "data-unread-badge" in page
    seller.get(f"/en/deals/{deal_id}")  # reading the deal marks its notices read
    assert "data-unread-badge" not in seller.get("/en/deals/").get_data(as_text=True)


def test_bad_upload_on_the_page_shows_why(app, client, parties, login_as):
    p = parties
    with app.test_request_context():
        deal = open_deal(p)
        db.session.commit()
        deal_id = deal.id
    login_as(p["buyer"], lang="en")
    response = client.post(f"/en/deals/{deal_id}/messages", data={
        "body": "see file", "attachment": (io.BytesIO(PNG), "fake.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "content must match its name" in response.get_data(as_text=True)
