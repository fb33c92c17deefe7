"""A staff member's morning in the console (English site): verify an organisation, take on a
deal that asks for help, review its contract draft, answer a translation request; an admin
finds the four on the audit page and makes a member staff."""

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from marketplace.accounts.models import Role, User
from marketplace.agreements import review
from marketplace.audit import AuditEntry
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.translation_requests import services as translations
from tests.agreements.conftest import agree, ready_draft
from tests.deals.conftest import load, parties  # noqa: F401 (fixture)
from tests.listings.helpers import make_listing

from .test_deal_journey import sign_in


def _world(app, parties, make_user):  # noqa: F811
    pending = make_user(kind="startup", verified=False, name_en="Pending Robotics",
                        name_ko="대기로보틱스")
    reader = make_user(kind="investor", lang="en")
    with app.test_request_context():
        deal = agree(parties)
        db.session.commit()
        contract = ready_draft(deal, parties)
        review.request_review(contract, load(parties["buyer"]), "Please check the royalty.")
        listing_id = make_listing(parties["seller"])
        translations.ask(load(reader), db.session.get(Listing, listing_id), "en")
        db.session.commit()
        return pending, deal.id, listing_id


def test_staff_work_their_queues_and_the_admin_sees_it_audited(app, live_server, browser,
                                                               parties, make_user):  # noqa: F811
    pending, deal_id, listing_id = _world(app, parties, make_user)
    staff = browser.new_context(locale="en-US").new_page()
    staff.set_default_timeout(30_000)
    sign_in(staff, live_server, "en", parties["staff"])
    expect(staff.get_by_role("link", name=re.compile("Contracts awaiting staff review"))
           ).to_be_visible()

    staff.goto(f"{live_server}/en/staff/verifications")
    staff.locator("tr", has_text="Pending Robotics").get_by_role("button", name="Verify").click()
    expect(staff.get_by_text("Pending Robotics is now verified.")).to_be_visible()

    staff.goto(f"{live_server}/en/staff/contract-reviews")
    expect(staff.locator("[data-contract-review]")).to_have_count(1)
    staff.goto(f"{live_server}/en/deals/staff/queue")
    staff.get_by_role("button", name="Take this deal on").click()

    staff.goto(f"{live_server}/en/deals/{deal_id}/contract")
    expect(staff.get_by_text("Please check the royalty.")).to_be_visible()
    staff.locator("#review textarea[name=comment]").fill(
        "Define net sales before the royalty clause uses it.")
    staff.get_by_role("button", name="Send the review to both sides").click()
    expect(staff.get_by_text("Your review was sent to both sides.")).to_be_visible()

    staff.goto(f"{live_server}/en/staff/translations")
    staff.locator(f"[data-translation-request='{listing_id}']").get_by_role(
        "link", name="Translate").click()
    staff.locator("input[name=title]").fill("EV battery diagnosis from BMS data")
    staff.locator("input[name=summary]").fill("Predicts the remaining life of EV batteries.")
    staff.locator("textarea[name=description]").fill("Reads BMS data to find weak cells early.")
    staff.get_by_role("button", name="Add the translation").click()
    expect(staff.get_by_text("No listing is waiting for a translation.")).to_be_visible()

    admin = browser.new_context(locale="en-US").new_page()
    admin.set_default_timeout(30_000)
    sign_in(admin, live_server, "en", parties["admin"])
    admin.goto(f"{live_server}/en/staff/audit")
    for label in ("Organisation verified", "Help request claimed", "Contract draft reviewed",
                  "Listing translated by staff"):
        expect(admin.locator("main table").get_by_text(label).first).to_be_visible()

    member = parties["outsider"]
    admin.goto(f"{live_server}/en/staff/users?q={member.email}")
    admin.locator(f"#role-{member.id}").select_option("staff")
    admin.locator(f"#role-reason-{member.id}").fill("Joins the programme office")
    admin.locator(f"#role-{member.id}").locator("xpath=ancestor::form").get_by_role(
        "button", name="Change role").click()
    with app.app_context():
        assert db.session.get(User, member.id).role == Role.staff
        kinds = set(db.session.scalars(sa.select(AuditEntry.kind)))
    assert {"organisation_verified", "deal_claimed", "contract_reviewed",
            "listing_translated", "role_changed"} <= kinds
