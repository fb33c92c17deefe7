import contextlib
import re
import threading

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash

from marketplace.accounts.models import (
    Organisation,
    User,
    Verification,
    brn_check_digit,
    normalise_brn,
)
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.mail.models import OutboxMessage
from tests.conftest import TEST_PASSWORD, login

VALID_BRN = "220-81-62517"


def register(client, lang="ko", **overrides):
    data = {"email": "founder@startup.kr", "password": TEST_PASSWORD, "confirm": TEST_PASSWORD,
            "display_name": "김창업", "org_kind": "startup", "org_name_ko": "새싹로보틱스",
            "org_name_en": "Saessak Robotics", "country": "KR",
            "business_registration_no": VALID_BRN, "preferred_language": "ko"}
    data.update(overrides)
    return client.post(f"/{lang}/register", data=data)


def test_register_creates_pending_organisation_and_signs_in(app, client):
    response = register(client)
    assert response.status_code == 302
    with app.app_context():
        user = User.by_email("Founder@Startup.kr")
        assert user.organisation.name_ko == "새싹로보틱스"
        assert user.organisation.business_registration_no == "2208162517"
        assert user.organisation.verification == Verification.pending
        assert user.password_hash != TEST_PASSWORD and user.check_password(TEST_PASSWORD)
    assert client.get("/ko/profile").status_code == 200


def test_duplicate_email_is_a_form_error_not_a_server_error(app, client):
    register(client)
    other = app.test_client()
    response = register(other, business_registration_no="124-81-00998")
    assert response.status_code == 400
    assert "이미 등록된 이메일 주소입니다." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1


@pytest.mark.parametrize("brn, message", [
    ("220-81-62518", "검증번호가 맞지 않습니다."),
    ("12345", "10자리 숫자를 확인하세요."),
])
def test_business_registration_number_checksum(client, brn, message):
    response = register(client, business_registration_no=brn)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_brn_check_digit_matches_published_numbers():
    assert normalise_brn("124-81-00998") == "1248100998"
    assert brn_check_digit("220816251") == 7
    with pytest.raises(DomainError):
        normalise_brn("1248100999")


def test_register_errors_are_translated_in_english(client):
    response = register(client, lang="en", confirm="something-else", org_name_ko="",
                        org_name_en="")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The passwords do not match." in body


def test_korean_startup_needs_a_registration_number(client):
    response = register(client, business_registration_no="")
    assert response.status_code == 400
    assert "사업자등록번호를 입력해야 합니다" in response.get_data(as_text=True) or \
        "필수 항목입니다." in response.get_data(as_text=True)


def test_login_logout_and_wrong_password(client, make_user):
    user = make_user(kind="firm")
    bad = client.post("/en/login", data={"email": user.email, "password": "wrong-password"})
    assert bad.status_code == 400
    assert "Wrong e-mail address or password." in bad.get_data(as_text=True)
    login(client, user)
    assert client.get("/ko/profile").status_code == 200
    assert client.post("/ko/logout").status_code == 302
    assert client.get("/ko/profile").status_code == 302


def test_remember_me_sets_a_persistent_cookie(client, make_user):
    user = make_user()
    response = client.post("/ko/login", data={"email": user.email, "password": TEST_PASSWORD,
                                              "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "Expires=" in remember[0]


def test_login_redirect_ignores_offsite_next(client, make_user):
    user = make_user()
    response = client.post("/ko/login?next=https://evil.example/", data={
        "email": user.email, "password": TEST_PASSWORD})
    assert response.headers["Location"] == "/ko/desk/"


def _reset_link(app, smtp_sink, email):
    """The link in the reset e-mail as delivered over SMTP (the outbox keeps it masked)."""
    with app.app_context():
        message = db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.recipient == email)).one()
        assert message.status == "sent"
    [body] = smtp_sink.bodies_to(email)
    return re.search(r"https?://\S+", body).group(0)


def test_password_reset_is_emailed_single_use(app, client, make_user, smtp_sink):
    user = make_user(lang="en")
    response = client.post("/ko/password/forgot", data={"email": user.email})
    assert response.status_code == 302
    link = _reset_link(app, smtp_sink, user.email)
    assert "/en/password/reset/" in link
    path = link.split("localhost", 1)[1]
    assert client.get(path).status_code == 200
    new_password = "a-brand-new-password"
    done = client.post(path, data={"password": new_password, "confirm": new_password})
    assert done.status_code == 302 and "/login" in done.headers["Location"]
    again = client.post(path, data={"password": "another-password!", "confirm":
                                     "another-password!"})
    assert "/password/forgot" in again.headers["Location"]  # already used
    login(client, user, password=new_password)


def test_password_reset_token_expires(app, client, make_user, monkeypatch, smtp_sink):
    user = make_user()
    client.post("/ko/password/forgot", data={"email": user.email})
    path = _reset_link(app, smtp_sink, user.email).split("localhost", 1)[1]
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    assert "/password/forgot" in client.get(path).headers["Location"]


def test_unknown_address_gets_the_same_answer_and_no_mail(app, client):
    response = client.post("/ko/password/forgot", data={"email": "nobody@example.com"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_profile_changes_preferred_language(app, client, make_user):
    user = make_user()
    login(client, user)
    response = client.post("/ko/profile", data={"display_name": "Jane", "preferred_language":
                                                "en"})
    assert response.headers["Location"] == "/en/profile"
    with app.app_context():
        assert db.session.get(User, user.id).preferred_language == "en"


def test_organisation_page_shows_badge_and_hides_brn_from_outsiders(app, client, make_user):
    owner = make_user(kind="investor", country="KR")
    with app.app_context():
        org = db.session.get(Organisation, owner.organisation_id)
        org.business_registration_no = "2208162517"
        db.session.commit()
    page = client.get(f"/en/organisations/{owner.organisation_id}").get_data(as_text=True)
    assert "Verified" in page and "2208162517" not in page
    login(client, owner)
    page = client.get(f"/en/organisations/{owner.organisation_id}").get_data(as_text=True)
    assert "2208162517" in page


def test_staff_verify_and_reject(app, client, make_user):
    pending = make_user(kind="startup", verified=False)
    member = make_user(kind="firm")
    login(client, member)
    assert client.get("/ko/staff/verifications").status_code == 404
    assert client.post(f"/ko/staff/organisations/{pending.organisation_id}/verify").status_code \
        == 404
    client.post("/ko/logout")
    staff = make_user(kind="agency", role="staff")
    login(client, staff)
    queue = client.get("/en/staff/verifications").get_data(as_text=True)
    assert pending.organisation.name_en in queue
    client.post(f"/ko/staff/organisations/{pending.organisation_id}/reject", data={"reason": ""})
    with app.app_context():
        assert db.session.get(Organisation, pending.organisation_id).verification == "pending"
    client.post(f"/ko/staff/organisations/{pending.organisation_id}/verify")
    with app.app_context():
        org = db.session.get(Organisation, pending.organisation_id)
        assert org.verification == Verification.verified
        assert [(r.reviewer_id, r.decision) for r in org.reviews] == [(staff.id, "verified")]
    other = make_user(kind="startup", verified=False)
    client.post(f"/ko/staff/organisations/{other.organisation_id}/reject",
                data={"reason": "서류 불일치"})
    with app.app_context():
        org = db.session.get(Organisation, other.organisation_id)
        assert org.verification == Verification.rejected
        assert org.verification_reason == "서류 불일치"


def test_staff_sees_outbox(app, client, make_user):
    user = make_user()
    client.post("/ko/password/forgot", data={"email": user.email})
    staff = make_user(kind="agency", role="staff")
    login(client, staff)
    page = client.get("/ko/staff/outbox").get_data(as_text=True)
    assert user.email in page


def test_users_create_cli(app, runner):
    result = runner.invoke(args=["users", "create", "--email", "ops@example.com", "--password",
                                 "long-enough-pw", "--role", "staff", "--org-kind", "agency",
                                 "--org-name", "서울기술진흥원"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = User.by_email("ops@example.com")
        assert user.is_staff and user.organisation.name_ko == "서울기술진흥원"
    duplicate = runner.invoke(args=["users", "create", "--email", "ops@example.com",
                                    "--password", "long-enough-pw"])
    assert duplicate.exit_code != 0 and "이미 있습니다" in duplicate.output
    bad_role = runner.invoke(args=["users", "create", "--email", "x@example.com", "--password",
                                   "long-enough-pw", "--role", "boss"])
    assert bad_role.exit_code != 0
    no_org = runner.invoke(args=["users", "create", "--email", "y@example.com", "--password",
                                 "long-enough-pw", "--role", "member"])
    assert no_org.exit_code != 0 and "기관에 소속" in no_org.output


def test_an_unknown_or_deactivated_address_costs_the_same_password_check(app, client,
                                                                         make_user,
                                                                         monkeypatch):
    from marketplace.accounts import models

    checks = []

    def counted(pwhash, password):
        checks.append(pwhash.split("$", 1)[0])
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(models, "check_password_hash", counted)
    known = make_user()
    gone = make_user()
    with app.app_context():
        db.session.get(User, gone.id).active = False
        db.session.commit()
    for email in (known.email, "nobody@example.com", gone.email):
        checks.clear()
        response = client.post("/en/login", data={"email": email, "password": "wrong-password"})
        assert response.status_code == 400
        assert "Wrong e-mail address or password." in response.get_data(as_text=True)
        assert checks == ["pbkdf2:sha256:1000"], email
    assert client.post("/en/login", data={"email": gone.email, "password": TEST_PASSWORD}) \
        .status_code == 400


def test_the_dummy_password_check_uses_the_configured_method(app, monkeypatch):
    from marketplace.accounts import models

    methods = []

    def counted(pwhash, password):
        methods.append(pwhash.split(":", 1)[0])
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(models, "check_password_hash", counted)
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", "scrypt")
    with app.test_request_context():
        assert User.authenticate("nobody@example.com", "whatever") is None
    assert methods == ["scrypt"]


def test_registering_a_taken_address_says_only_that(app, client, make_user):
    taken = make_user(kind="startup", name_ko="비밀기관", name_en="Secret Org")
    gone = make_user(kind="startup")
    with app.app_context():
        db.session.get(User, gone.id).active = False
        db.session.commit()
    answers = []
    for email in (taken.email, gone.email):
        response = register(app.test_client(), lang="en", email=email,
                            business_registration_no="124-81-00998")
        assert response.status_code == 400
        body = response.get_data(as_text=True)
        assert "This e-mail address is already registered." in body
        for secret in ("비밀기관", "Secret Org", taken.display_name, "deactivated", "inactive"):
            assert secret not in body
        answers.append(body.replace(email, "EMAIL"))
    assert answers[0] == answers[1]


def test_a_reset_link_used_twice_at_once_changes_the_password_once(app, make_user, smtp_sink,
                                                                   monkeypatch):
    """Two browsers post the same link at the same moment, each on its own connection: one
    sets the password, the other is told the link is used."""
    from marketplace.accounts import services

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite has no row locks; production and CI run PostgreSQL")
    user = make_user(lang="en")
    app.test_client().post("/en/password/forgot", data={"email": user.email})
    [body] = smtp_sink.bodies_to(user.email)
    path = re.search(r"/en/password/reset/\S+", body).group(0)
    both_read = threading.Barrier(2)
    reset_password = services.reset_password

    def after_both_read(target, password):
        # with the row locked, the other request cannot get here until this one commits
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait(timeout=2)
        reset_password(target, password)

    monkeypatch.setattr(services, "reset_password", after_both_read)
    answers = {}

    def post(password):
        response = app.test_client().post(path, data={"password": password,
                                                      "confirm": password})
        answers[password] = response.headers.get("Location", str(response.status_code))

    threads = [threading.Thread(target=post, args=(pw,)) for pw in ("first-password",
                                                                      "second-password")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    winners = [pw for pw, where in answers.items() if "/login" in where]
    assert len(winners) == 1, answers
    loser = ({"first-password", "second-password"} - set(winners)).pop()
    assert "/password/forgot" in answers[loser]
    with app.app_context():
        assert db.session.get(User, user.id).check_password(winners[0])


DETAILS = {"address_ko": "대전광역시 유성구 대학로 99, 3층",
           "address_en": "3F, 99 Daehak-ro, Daejeon",
           "representative_ko": "대표이사 한빛나", "representative_en": "Bitna Han, CEO",
           "business_type": "제조업", "business_item": "2차전지 제조"}


def test_members_keep_their_organisation_details_for_contracts(app, client, make_user):
    member = make_user(kind="startup")
    login(client, member, lang="ko")
    url = f"/ko/organisations/{member.organisation_id}/details"
    assert client.get(url).status_code == 200
    response = client.post(url, data=DETAILS)
    assert response.status_code == 302
    page = client.get(f"/ko/organisations/{member.organisation_id}").get_data(as_text=True)
    assert "대전광역시 유성구 대학로 99, 3층" in page and "대표이사 한빛나" in page
    assert "2차전지 제조" in page
    with app.app_context():
        org = db.session.get(Organisation, member.organisation_id)
        assert org.address_en == "3F, 99 Daehak-ro, Daejeon" and org.business_type == "제조업"


def test_organisation_details_are_checked_with_translated_errors(app, client, make_user):
    member = make_user(kind="startup")
    login(client, member, lang="ko")
    url = f"/ko/organisations/{member.organisation_id}/details"
    response = client.post(url, data={**DETAILS, "address_en": "대전광역시 유성구",
                                      "business_item": "x" * 201})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "영문(로마자)으로 입력하세요" in page and "200자 이내로 입력하세요" in page
    assert "address_en:" not in page and "Traceback" not in page
    with app.app_context():  # nothing half-written
        org = db.session.get(Organisation, member.organisation_id)
        assert org.address_ko is None and org.business_type is None


def test_only_members_edit_the_details_and_only_partners_see_them(app, client, make_user):
    member, outsider, staff = make_user(kind="startup"), make_user(kind="firm"), \
        make_user(kind="agency", role="staff")
    with app.app_context():
        org = db.session.get(Organisation, member.organisation_id)
        org.address_ko = "대전광역시 유성구 대학로 99"
        db.session.commit()
    for who in (outsider, staff):
        other = app.test_client()
        login(other, who, lang="ko")
        assert other.get(f"/ko/organisations/{member.organisation_id}/details").status_code \
            == 404
        assert other.post(f"/ko/organisations/{member.organisation_id}/details",
                          data=DETAILS).status_code == 404
    login(client, outsider, lang="ko")
    page = client.get(f"/ko/organisations/{member.organisation_id}").get_data(as_text=True)
    assert "대학로 99" not in page
    staff_client = app.test_client()
    login(staff_client, staff, lang="ko")
    assert "대학로 99" in staff_client.get(
        f"/ko/organisations/{member.organisation_id}").get_data(as_text=True)


def test_demo_organisations_have_korean_addresses_and_representatives(app):
    from marketplace import demo

    with app.app_context():
        demo.seed_accounts()
        assert demo.seed_organisation_details() > 0
        db.session.commit()
        assert demo.seed_organisation_details() == 0  # safe to run twice
        hanbit = User.by_email("hanbit@demo.techtradeon.kr").organisation
        assert re.match(r"^\S+(특별시|광역시|도) ", hanbit.address_ko)
        assert hanbit.representative_ko.startswith("대표이사 ") and hanbit.business_type
        assert hanbit.address_en.endswith(", Korea") and hanbit.representative_en.endswith("CEO")
        overseas = User.by_email("pacificbridge@demo.techtradeon.kr").organisation
        assert overseas.address_ko is None
