"""Questions before a deal: who sees which question, who is told (in their own language), what
is refused and with which status, and the staff's hiding in the audit trail."""

import re

import pytest
import sqlalchemy as sa

from marketplace.audit import AuditEntry
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.mail.models import OutboxMessage
from marketplace.notifications.models import Notification
from marketplace.questions import services
from marketplace.questions.models import MAX_QUESTION, ListingQuestion
from tests.conftest import TEST_PASSWORD, login


def _as(client, user, lang="ko"):
    client.post(f"/{lang}/logout")
    if user is not None:
        login(client, user, lang=lang)


def _page(client, world, user, lang="ko") -> str:
    _as(client, user, lang)
    response = client.get(f"/{lang}/offerings/{world.listing_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _ask(client, world, user, body, lang="ko"):
    _as(client, user, lang)
    return client.post(f"/{lang}/listings/{world.listing_id}/questions", data={"body": body})


def _answer(client, user, question_id, text, private=False, lang="ko"):
    _as(client, user, lang)
    data = {f"q{question_id}-answer": text}
    if private:
        data[f"q{question_id}-private"] = "y"
    return client.post(f"/{lang}/questions/{question_id}/answer", data=data)


def _questions(app):
    with app.app_context():
        rows = list(db.session.scalars(sa.select(ListingQuestion).order_by(ListingQuestion.id)))
        db.session.expunge_all()
        return rows


def _mails_to(app, address):
    with app.app_context():
        return list(db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.recipient == address).order_by(OutboxMessage.id)))


def _notices(app, kind):
    with app.app_context():
        return list(db.session.scalars(sa.select(Notification).where(
            Notification.kind == kind).order_by(Notification.user_id)))


# ---- visibility -----------------------------------------------------------------------------


@pytest.fixture
def four_questions(app, world):
    """Unanswered, answered in public, answered privately, and answered then hidden by staff."""
    from marketplace.accounts.models import User

    with app.test_request_context():
        listing = db.session.get(Listing, world.listing_id)
        asker = db.session.get(User, world.asker.id)
        owner = db.session.get(User, world.owner.id)
        staff = db.session.get(User, world.staff.id)
        services.ask(listing, asker, "Q-WAITING 납품 기간은 얼마나 걸리나요?")
        public = services.ask(listing, asker, "Q-PUBLIC 어떤 셀 화학에 적용됩니까?")
        private = services.ask(listing, asker, "Q-PRIVATE 단가를 알려 주실 수 있나요?")
        hidden = services.ask(listing, asker, "Q-HIDDEN 연락처를 알려 주세요.")
        services.answer(public, owner, "A-PUBLIC NCM과 LFP 모두 됩니다.")
        services.answer(private, owner, "A-PRIVATE 개당 3만 원입니다.", private=True)
        services.answer(hidden, owner, "A-HIDDEN 010-0000-0000")
        services.hide(hidden, staff, "개인 연락처 노출")
        db.session.commit()
        db.session.remove()


SEEN = {
    "anonymous": {"Q-PUBLIC", "A-PUBLIC"},
    "asker": {"Q-WAITING", "Q-PUBLIC", "A-PUBLIC", "Q-PRIVATE", "A-PRIVATE"},
    "asker_colleague": {"Q-WAITING", "Q-PUBLIC", "A-PUBLIC", "Q-PRIVATE", "A-PRIVATE"},
    "owner": {"Q-WAITING", "Q-PUBLIC", "A-PUBLIC", "Q-PRIVATE", "A-PRIVATE"},
    "owner_colleague": {"Q-WAITING", "Q-PUBLIC", "A-PUBLIC", "Q-PRIVATE", "A-PRIVATE"},
    "outsider": {"Q-PUBLIC", "A-PUBLIC"},
    "staff": {"Q-WAITING", "Q-PUBLIC", "A-PUBLIC", "Q-PRIVATE", "A-PRIVATE", "Q-HIDDEN",
              "A-HIDDEN"},
}
MARKERS = {m for seen in SEEN.values() for m in seen}


@pytest.mark.parametrize("viewer", sorted(SEEN))
def test_each_viewer_sees_the_questions_meant_for_them(app, client, world, four_questions,
                                                       viewer):
    user = None if viewer == "anonymous" else getattr(world, viewer)
    html = _page(client, world, user)
    shown = {m for m in MARKERS if m in html}
    assert shown == SEEN[viewer]


def test_the_asking_organisation_is_named_only_to_the_parties_and_staff(app, client, world,
                                                                        four_questions):
    assert "대한모터스" not in _page(client, world, world.outsider)
    assert "대한모터스" not in _page(client, world, None)
    assert "대한모터스" in _page(client, world, world.owner)


def test_the_api_of_the_page_and_the_service_agree(app, world, four_questions):
    from marketplace.accounts.models import User

    with app.test_request_context():
        listing = db.session.get(Listing, world.listing_id)
        outsider = db.session.get(User, world.outsider.id)
        assert [q.body[:8] for q in services.questions_for(listing, outsider)] == ["Q-PUBLIC"]
        assert len(services.questions_for(listing, None)) == 1
        for q in db.session.scalars(sa.select(ListingQuestion)):
            assert q.is_visible_to(outsider) == (q.body.startswith("Q-PUBLIC"))


# ---- asking, answering, notices -------------------------------------------------------------


def test_asking_tells_the_owners_members_each_in_their_language(app, client, world):
    response = _ask(client, world, world.asker, "Does it work with LFP cells?", lang="en")
    assert response.status_code == 303
    assert response.location.endswith(f"/en/offerings/{world.listing_id}#questions")
    [question] = _questions(app)
    assert (question.asker_id, question.asker_org_id) == (world.asker.id,
                                                          world.asker.organisation_id)
    notices = _notices(app, "question_asked")
    assert {n.user_id for n in notices} == {world.owner.id, world.owner_colleague.id}
    assert {(n.subject_type, n.subject_id) for n in notices} == {("question", question.id)}

    [ko] = _mails_to(app, world.owner.email)
    assert ("대한모터스에서 게시물 “배터리관리시스템 기반 전기차 배터리 진단”에 대해 "
            "질문했습니다.") in ko.subject
    assert "Does it work with LFP cells?" in ko.body
    assert f"/ko/offerings/{world.listing_id}#questions" in ko.body
    [en] = _mails_to(app, world.owner_colleague.email)
    assert "Daehan Motors asked a question about your listing" in en.subject
    assert f"/en/offerings/{world.listing_id}#questions" in en.body
    assert _mails_to(app, world.asker.email) == []
    assert _mails_to(app, world.outsider.email) == []

    # The owner's notice leads to the questions on the listing's page.
    _as(client, world.owner)
    page = client.get("/ko/notifications/").get_data(as_text=True)
    assert "대한모터스에서 게시물" in page and "질문했습니다." in page
    notice_id = next(n.id for n in notices if n.user_id == world.owner.id)
    opened = client.get(f"/ko/notifications/{notice_id}")
    assert opened.status_code == 303
    assert opened.location.endswith(f"/ko/offerings/{world.listing_id}#questions")


def test_a_private_answer_tells_the_asker_and_their_colleagues(app, client, world):
    _ask(client, world, world.asker, "What is the unit price?", lang="en")
    [question] = _questions(app)
    response = _answer(client, world.owner, question.id, "개당 3만 원입니다.", private=True)
    assert response.status_code == 303
    [question] = _questions(app)
    assert question.private and question.answered_by_id == world.owner.id
    assert question.answer == "개당 3만 원입니다."

    notices = _notices(app, "question_answered")
    assert {n.user_id for n in notices} == {world.asker.id, world.asker_colleague.id}
    [en] = _mails_to(app, world.asker.email)
    assert ("Battery Lab answered the question your organisation asked about "
            "“배터리관리시스템 기반 전기차 배터리 진단”.") in en.subject
    assert "개당 3만 원입니다." in en.body
    [ko] = _mails_to(app, world.asker_colleague.email)
    assert "배터리랩에서" in ko.subject and "귀 기관이 남긴 질문에 답변했습니다." in ko.subject
    assert len(_mails_to(app, world.owner_colleague.email)) == 1  # only the question's notice

    html = _page(client, world, world.asker_colleague)
    assert "개당 3만 원입니다." in html and "비공개" in html
    assert "개당 3만 원입니다." not in _page(client, world, world.outsider)


def test_a_public_answer_is_shown_to_visitors(app, client, world):
    _ask(client, world, world.asker, "LFP 셀에도 적용됩니까?")
    [question] = _questions(app)
    assert "LFP 셀에도 적용됩니까?" not in _page(client, world, None)
    _answer(client, world.owner_colleague, question.id, "네, 적용됩니다.", lang="en")
    html = _page(client, world, None, lang="en")
    assert "LFP 셀에도 적용됩니까?" in html and "네, 적용됩니다." in html
    assert "Private" not in html


# ---- refusals -------------------------------------------------------------------------------


def test_a_visitor_is_sent_to_sign_in(app, client, world):
    _as(client, None)
    response = client.post(f"/ko/listings/{world.listing_id}/questions", data={"body": "질문"})
    assert response.status_code == 302 and "/login" in response.location
    assert _questions(app) == []


def test_the_owners_own_organisation_cannot_ask(app, client, world):
    response = _ask(client, world, world.owner_colleague, "Can we ask ourselves?", lang="en")
    assert response.status_code == 403
    assert "You cannot ask your own organisation a question." in response.get_data(as_text=True)
    response = _ask(client, world, world.owner, "우리에게 질문")
    assert response.status_code == 403
    assert "자기 기관의 게시물에는 질문할 수 없습니다." in response.get_data(as_text=True)
    assert _questions(app) == []


def test_no_question_on_a_draft_or_hidden_listing(app, client, world, make_user):
    from tests.listings.helpers import make_listing

    other = make_user(kind="startup")
    with app.test_request_context():
        draft_id = make_listing(other, publish=False)
        db.session.remove()
    _as(client, world.asker)
    assert client.post(f"/ko/listings/{draft_id}/questions",
                       data={"body": "질문"}).status_code == 404
    _as(client, world.staff)
    client.post(f"/ko/listings/{world.listing_id}/hide", data={"reason": "검토 중"})
    response = _ask(client, world, world.asker, "질문")
    assert response.status_code == 404
    # Staff see the hidden listing, but it takes no questions either.
    assert _ask(client, world, world.staff, "질문").status_code == 404
    assert _questions(app) == []


@pytest.mark.parametrize("body, message", [
    ("   ", "필수 항목입니다."),
    ("가" * (MAX_QUESTION + 1), f"{MAX_QUESTION}자 이내로 입력하세요."),
])
def test_an_empty_or_too_long_question_is_refused(app, client, world, body, message):
    response = _ask(client, world, world.asker, body)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _questions(app) == []
    assert _notices(app, "question_asked") == []


def test_only_the_listings_organisation_answers_and_only_once(app, client, world):
    _ask(client, world, world.asker, "납품 기간은요?")
    [question] = _questions(app)
    # Another organisation, and the asker itself, cannot even find it to answer.
    assert _answer(client, world.outsider, question.id, "제가 답합니다").status_code == 404
    assert _answer(client, world.asker, question.id, "제가 답합니다").status_code == 404
    assert _answer(client, world.owner, question.id, "").status_code == 422
    assert _answer(client, world.owner, question.id, "두 달입니다.").status_code == 303
    again = _answer(client, world.owner_colleague, question.id, "Three months.", lang="en")
    assert again.status_code == 409
    assert "This question has already been answered." in again.get_data(as_text=True)
    [question] = _questions(app)
    assert question.answer == "두 달입니다."
    # Once answered in public the outsider sees it, but still cannot answer it.
    assert _answer(client, world.outsider, question.id, "또 답합니다").status_code == 404


def test_two_answers_at_once_cannot_both_win(app, world):
    from marketplace.accounts.models import User

    with app.test_request_context():
        listing = db.session.get(Listing, world.listing_id)
        question = services.ask(listing, db.session.get(User, world.asker.id), "질문")
        db.session.commit()
        stale_id = question.id
        db.session.execute(sa.update(ListingQuestion).where(ListingQuestion.id == stale_id)
                           .values(answer="먼저 한 답", answered_at=sa.func.now()))
        # `question` still believes it is unanswered.
        with pytest.raises(Conflict):
            question.give_answer(db.session.get(User, world.owner.id), "늦은 답", False)
        db.session.rollback()
        assert db.session.get(ListingQuestion, stale_id).answer != "늦은 답"
        db.session.remove()


# ---- staff ----------------------------------------------------------------------------------


def test_staff_hide_and_show_a_question_with_an_audit_row(app, client, world):
    _ask(client, world, world.asker, "부적절한 질문")
    [question] = _questions(app)
    _as(client, world.owner)
    assert client.post(f"/ko/questions/{question.id}/hide",
                       data={"reason": "x"}).status_code == 404
    _as(client, world.staff)
    refused = client.post(f"/ko/questions/{question.id}/hide", data={"reason": "  "})
    assert refused.status_code == 303
    assert "질문을 숨기는 사유를 입력하세요." in client.get(refused.location).get_data(as_text=True)
    assert _questions(app)[0].hidden_at is None
    response = client.post(f"/ko/questions/{question.id}/hide", data={"reason": "욕설 포함"})
    assert response.status_code == 303
    assert response.location.endswith(f"/ko/offerings/{world.listing_id}#questions")
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry))
        assert (entry.kind, entry.subject_type, entry.subject_id, entry.actor_id,
                entry.reason) == ("question_hidden", "listing_questions", question.id,
                                  world.staff.id, "욕설 포함")
    assert "부적절한 질문" not in _page(client, world, world.owner)
    assert "부적절한 질문" not in _page(client, world, world.asker)
    staff_page = _page(client, world, world.staff)
    assert "부적절한 질문" in staff_page and "운영진 비공개 처리" in staff_page
    hidden = client.get("/ko/staff/questions/hidden").get_data(as_text=True)
    assert "부적절한 질문" in hidden
    # The owner can no longer answer it.
    assert _answer(client, world.owner, question.id, "답변").status_code == 404

    _as(client, world.staff)
    assert client.post(f"/ko/questions/{question.id}/unhide").status_code == 303
    with app.app_context():
        kinds = list(db.session.scalars(sa.select(AuditEntry.kind).order_by(AuditEntry.id)))
        assert kinds == ["question_hidden", "question_unhidden"]
    assert "부적절한 질문" in _page(client, world, world.owner)
    _as(client, world.owner)
    assert client.get("/ko/staff/questions/hidden").status_code == 404


# ---- the page in both languages -------------------------------------------------------------


@pytest.mark.parametrize("lang, expected, foreign", [
    ("ko", ["질문과 답변", "질문 내용", "질문 보내기", "답변 대기 중", "답변 내용",
            "비공개로 답변합니다.", "답변 보내기", "질문 숨기기"],
     ["Questions", "Your question", "Ask the question", "Awaiting an answer", "Send the answer"]),
    ("en", ["Questions", "Your question", "Ask the question", "Awaiting an answer",
            "Your answer", "Keep private", "Send the answer", "Hide the question"],
     ["질문과 답변", "질문 보내기", "답변 대기 중"]),
])
def test_the_section_is_translated(app, client, world, lang, expected, foreign):
    _ask(client, world, world.asker, "Q-1")
    seen = (_page(client, world, world.outsider, lang) + _page(client, world, world.owner, lang)
            + _page(client, world, world.staff, lang))
    text = re.sub(r"<[^>]+>", " ", seen)
    for phrase in expected:
        assert phrase in text, phrase
    for phrase in foreign:
        assert phrase not in text, phrase
    visitor = _page(client, world, None, lang)
    assert 'id="questions"' in visitor
    assert ("로그인하면 거래 전에 이 기관에 질문할 수 있습니다." if lang == "ko"
            else "Sign in to ask the organisation a question before a deal.") in visitor


def test_the_console_counts_hidden_questions(app, client, world):
    _ask(client, world, world.asker, "숨길 질문")
    [question] = _questions(app)
    _as(client, world.staff)
    client.post(f"/ko/questions/{question.id}/hide", data={"reason": "중복"})
    home = client.get("/ko/staff/").get_data(as_text=True)
    entry = re.search(r'data-queue="questions.hidden".*?</a>', home, re.S).group(0)
    assert "숨긴 게시물 질문" in entry and "data-count>1<" in entry


def test_lines_of_a_question_stay_apart_and_markup_is_escaped(app, client, world):
    _ask(client, world, world.asker, "첫째 줄\n<b>둘째</b> 줄")
    html = _page(client, world, world.owner)
    assert "첫째 줄<br>&lt;b&gt;둘째&lt;/b&gt; 줄" in html


def test_a_refused_answer_is_shown_again_on_its_form(app, client, world):
    _ask(client, world, world.asker, "납품 기간은요?")
    [question] = _questions(app)
    response = _answer(client, world.owner, question.id, "가" * 3001)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "3000자 이내로 입력하세요." in html and "납품 기간은요?" in html
    assert _questions(app)[0].answered_at is None


def test_the_forms_work_with_csrf_protection_on(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)

    def token(html, action):
        form = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', html, re.S)
        return dict(re.findall(r'name="([\w-]*csrf_token)"[^>]*value="([^"]+)"', form.group(0)))

    def sign_in(user):
        html = client.get("/ko/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        signed = client.post("/ko/login", data={"email": user.email, "password": TEST_PASSWORD,
                                                "csrf_token": csrf})
        assert signed.status_code == 302
        return csrf

    client.post("/ko/logout")
    login_token = sign_in(world.asker)
    html = client.get(f"/ko/offerings/{world.listing_id}").get_data(as_text=True)
    action = f"/ko/listings/{world.listing_id}/questions"
    assert client.post(action, data={"body": "토큰 없이"}).status_code == 400
    response = client.post(action, data={"body": "토큰과 함께", **token(html, action)})
    assert response.status_code == 303
    [question] = _questions(app)

    client.post("/ko/logout", data={"csrf_token": login_token})
    sign_in(world.owner)
    html = client.get(f"/ko/offerings/{world.listing_id}").get_data(as_text=True)
    action = f"/ko/questions/{question.id}/answer"
    fields = token(html, action)
    assert list(fields) == [f"q{question.id}-csrf_token"]
    response = client.post(action, data={f"q{question.id}-answer": "두 달", **fields})
    assert response.status_code == 303
    assert _questions(app)[0].answer == "두 달"
