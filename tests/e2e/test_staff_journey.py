"""Staff verify an organisation and take on a help request from the console; an administrator
grants staff to a member; the audit page shows each of these actions."""

import re

from playwright.sync_api import expect

from marketplace.accounts.models import utcnow
from marketplace.deals.models import Deal, DealEvent
from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingKind, ListingStatus
from tests.conftest import TEST_PASSWORD


def sign_in(page, base, lang, user, landing):
    page.goto(f"{base}/{lang}/login")
    page.locator("input[name=email]").fill(user.email)
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(re.compile(landing))


def deal_asking_for_help(app, firm, startup) -> int:
    with app.app_context():
        now = utcnow()
        listing = Listing(kind=ListingKind.offering, status=ListingStatus.published,
                          organisation_id=startup.organisation_id, title_ko="협동로봇 비전 검사",
                          title_en="Cobot vision inspection", sector="robotics", trl=7,
                          deal_types=["license"], published_at=now)
        db.session.add(listing)
        db.session.flush()
        deal = Deal(deal_type="license", state="inquiry", buyer_org_id=firm.organisation_id,
                    seller_org_id=startup.organisation_id, initiator_side="buyer",
                    offering_id=listing.id, opened_by_id=firm.id, event_seq=1,
                    help_requested_at=now, help_requested_by_id=firm.id,
                    help_note="계약 조건을 같이 봐 주세요")
        db.session.add(deal)
        db.session.flush()
        db.session.add(DealEvent(deal_id=deal.id, seq=1, kind="open", actor_user_id=firm.id,
                                 to_state="inquiry", payload={}, payload_digest="0" * 64,
                                 created_at=now, prev_hash="0" * 64, hash="1" * 64))
        db.session.commit()
        return deal.id


def test_staff_console_journey(app, live_server, browser, make_user):
    firm = make_user(kind="firm", name_ko="한빛전자", name_en="Hanbit Electronics")
    startup = make_user(kind="startup", name_ko="로보핸즈", name_en="RoboHands")
    pending = make_user(kind="startup", verified=False, name_ko="새싹로봇",
                        name_en="Sprout Robotics")
    member = make_user(kind="firm", email="minji@example.com")
    staff = make_user(kind="agency", role="staff")
    admin = make_user(kind=None, role="admin", lang="en")
    deal_id = deal_asking_for_help(app, firm, startup)

    page = browser.new_context(locale="ko-KR").new_page()
    page.set_default_timeout(30_000)
    # Staff land on the console, which counts one organisation and one deal waiting.
    sign_in(page, live_server, "ko", staff, r"/ko/staff/$")
    expect(page.locator("[data-queue='staff.verifications'] [data-count]")).to_have_text("1")
    expect(page.locator("[data-queue='deals.staff_queue'] [data-count]")).to_have_text("1")

    page.locator("[data-queue='staff.verifications']").click()
    row = page.locator("tr", has_text="새싹로봇")
    row.get_by_role("button", name="인증", exact=True).click()
    expect(page.get_by_text("새싹로봇 기관을 인증했습니다.")).to_be_visible()

    page.get_by_role("link", name="지원 요청", exact=True).click()
    page.locator("tr", has_text="계약 조건을 같이 봐 주세요").get_by_role("button").click()
    expect(page).to_have_url(re.compile(rf"/ko/deals/{deal_id}"))

    # The administrator makes a member staff, then reads the audit trail.
    admin_page = browser.new_context(locale="en-US").new_page()
    admin_page.set_default_timeout(30_000)
    sign_in(admin_page, live_server, "en", admin, r"/en/staff/$")
    admin_page.get_by_role("link", name="Users and roles").first.click()
    admin_page.locator("#users-q").fill("minji")
    admin_page.get_by_role("button", name="Search").click()
    account = admin_page.locator("tr[data-user='minji@example.com']")
    account.locator("select[name=role]").select_option("staff")
    account.locator(f"#role-reason-{member.id}").fill("New programme officer")
    account.get_by_role("button", name="Change role").click()
    expect(admin_page.get_by_text("has been changed")).to_be_visible()

    admin_page.get_by_role("link", name="Audit trail").first.click()
    expect(admin_page.locator("tr[data-audit='organisation_verified']")).to_contain_text(
        "Organisation #")
    expect(admin_page.locator("tr[data-audit='deal_claimed']")).to_contain_text(
        f"Deal #{deal_id}")
    expect(admin_page.locator("tr[data-audit='role_changed']")).to_contain_text(
        "New programme officer")
    expect(admin_page.locator("tr[data-audit='role_changed']")).to_contain_text(
        f"Account #{member.id}")
    # Filtered to the staff member: their verification, not the administrator's change.
    admin_page.locator("#audit-actor").select_option(str(staff.id))
    admin_page.get_by_role("button", name="Show").click()
    expect(admin_page.locator("tr[data-audit='organisation_verified']")).to_have_count(1)
    expect(admin_page.locator("tr[data-audit='deal_claimed']")).to_have_count(1)
    expect(admin_page.locator("tr[data-audit='role_changed']")).to_have_count(0)
    assert pending.organisation_id
