from datetime import timedelta

import pytest

from marketplace.clock import utcnow
from marketplace.errors import DomainError, NotFound, PermissionDenied
from marketplace.extensions import db
from marketplace.listings import services
from marketplace.listings.confidential import CONFIDENTIAL_ACCESS_RULES as RULES
from marketplace.listings.confidential import can_see_confidential, register_confidential_access
from marketplace.listings.models import (
    Listing,
    ListingStatus,
    ListingTerm,
    ListingVersion,
    get_listing_or_404,
)
from marketplace.mail.models import OutboxMessage

from .helpers import make_listing, need_data, offering_data, user


def test_create_offering_is_a_versioned_indexed_draft(ctx, make_user):
    owner = make_user(kind="startup")
    u = user(owner.id)
    listing = services.create_listing(u.organisation, u, offering_data())
    db.session.commit()
    assert listing.kind == "offering" and listing.status == ListingStatus.draft
    assert listing.version == 1
    assert [v.version for v in listing.versions] == [1]
    terms = set(db.session.scalars(db.select(ListingTerm.term).where(
        ListingTerm.listing_id == listing.id)))
    assert {"배터", "터리", "bms"} <= terms
    assert "밸런" not in terms  # the confidential text is never indexed


def test_kind_follows_the_organisation(ctx, make_user):
    firm = user(make_user(kind="firm").id)
    with pytest.raises(PermissionDenied):
        services.create_listing(firm.organisation, firm, offering_data(), kind="offering")
    listing = services.create_listing(firm.organisation, firm, need_data())
    assert listing.kind == "need" and listing.min_trl == 6 and listing.trl is None
    investor = user(make_user(kind="investor").id)
    with pytest.raises(PermissionDenied):
        services.create_listing(investor.organisation, investor, need_data())


@pytest.mark.parametrize("overrides, field", [
    ({"title_ko": None, "summary_ko": None, "description_ko": None}, "title_ko"),
    ({"title_en": "Only an English title"}, "summary_en"),
    ({"sector": "space"}, "sector"),
    ({"trl": 10}, "trl"),
    ({"trl": "seven"}, "trl"),
    ({"deal_types": []}, "deal_types"),
    ({"deal_types": ["barter"]}, "deal_types"),
    ({"price_min": 5, "price_max": 1}, "price_max"),
    ({"price_min": -1}, "price_min"),
    ({"currency": "EUR"}, "currency"),
    ({"currency": None}, "currency"),
    ({"ip_status": "registered", "patent_registrations": []}, "patent_registrations"),
    ({"patent_applications": ["abc"]}, "patent_applications"),
    ({"keywords": [f"k{i}" for i in range(20)]}, "keywords"),
    ({"title_ko": "x" * 201}, "title_ko"),
    ({"summary_ko": "two\nlines"}, "summary_ko"),
])
def test_offering_validation(ctx, make_user, overrides, field):
    u = user(make_user(kind="startup").id)
    with pytest.raises(DomainError) as exc:
        services.create_listing(u.organisation, u, offering_data(**overrides))
    assert field in exc.value.fields
    assert all(str(m) for m in exc.value.fields[field])


def test_need_deadline_must_be_in_the_future(ctx, make_user):
    u = user(make_user(kind="firm").id)
    with pytest.raises(DomainError) as exc:
        services.create_listing(u.organisation, u,
                                need_data(deadline=utcnow() - timedelta(days=1)))
    assert "deadline" in exc.value.fields
    with pytest.raises(DomainError) as exc:
        services.create_listing(u.organisation, u, need_data(deadline="31.12.2030"))
    assert "deadline" in exc.value.fields
    listing = services.create_listing(u.organisation, u, need_data(deadline="2099-01-31"))
    assert listing.deadline.year == 2099 and listing.deadline.tzinfo is not None


def test_english_only_listing_is_fine(ctx, make_user):
    u = user(make_user(kind="startup").id)
    listing = services.create_listing(u.organisation, u, offering_data(
        title_ko=None, summary_ko=None, description_ko=None,
        title_en="Battery analytics", summary_en="Predicts battery life.",
        description_en="Analyses battery management system data."))
    assert listing.languages == ["en"]
    assert listing.display_lang("ko") == "en"


def test_update_bumps_version_and_reindexes(ctx, make_user):
    owner = make_user(kind="startup")
    listing_id = make_listing(owner)
    listing = db.session.get(Listing, listing_id)
    services.update_listing(listing, user(owner.id), {"title_en": "Drone battery analytics",
                                                      "summary_en": "Predicts battery life.",
                                                      "description_en": "Batteries of drones."})
    db.session.commit()
    assert listing.version == 2
    assert [v.version for v in listing.versions] == [1, 2]
    assert listing.versions[1].snapshot["title_en"] == "Drone battery analytics"
    assert db.session.scalar(db.select(ListingTerm.term).where(
        ListingTerm.listing_id == listing_id, ListingTerm.term == "dron"))
    services.update_listing(listing, user(owner.id), {"title_en": "Drone battery analytics"})
    assert listing.version == 2  # nothing changed, no new version
    assert db.session.scalar(db.select(db.func.count()).select_from(ListingVersion)) == 2


def test_only_the_owner_edits(ctx, make_user):
    # make_user empties the session: create every user before loading listings.
    owner, other = make_user(kind="startup"), make_user(kind="startup")
    staff = user(make_user(kind="agency", role="staff").id)
    listing = db.session.get(Listing, make_listing(owner))
    with pytest.raises(PermissionDenied):
        services.update_listing(listing, user(other.id), {"title_ko": "탈취"})
    with pytest.raises(PermissionDenied):
        listing.close(user(other.id), "withdrawn")
    with pytest.raises(PermissionDenied):
        services.update_listing(listing, staff, {"title_ko": "수정"})


def test_lifecycle(ctx, make_user):
    owner = make_user(kind="firm")
    listing = db.session.get(Listing, make_listing(owner, publish=False))
    u = user(owner.id)
    with pytest.raises(DomainError):
        listing.close(u, "withdrawn")
    listing.publish(u)
    assert listing.status == ListingStatus.published and listing.published_at
    with pytest.raises(DomainError):
        listing.publish(u)
    with pytest.raises(DomainError):
        listing.close(u, "bored")
    with pytest.raises(PermissionDenied):
        listing.close(None, "withdrawn")  # the system only expires
    listing.close(u, "withdrawn")
    assert listing.closed_reason == "withdrawn"
    with pytest.raises(DomainError):
        services.update_listing(listing, u, {"title_ko": "다시"})
    listing.reopen(u)
    assert listing.status == ListingStatus.published
    listing.close(u, "deal_done")
    with pytest.raises(DomainError):
        listing.reopen(u)
    listing.archive(u)
    assert listing.status == ListingStatus.archived


def test_unverified_organisation_cannot_publish(ctx, make_user):
    owner = make_user(kind="startup", verified=False)
    u = user(owner.id)
    listing = services.create_listing(u.organisation, u, offering_data())
    with pytest.raises(DomainError):
        listing.publish(u)


def test_visibility_and_confidential(ctx, make_user):
    owner, other = make_user(kind="startup"), make_user(kind="firm")
    staff = make_user(kind="agency", role="staff")
    draft = make_listing(owner, publish=False)
    published = make_listing(owner)
    with pytest.raises(NotFound):
        get_listing_or_404(draft, user(other.id))
    with pytest.raises(NotFound):
        get_listing_or_404(draft, None)
    assert get_listing_or_404(draft, user(owner.id))
    assert get_listing_or_404(draft, user(staff.id))
    with pytest.raises(NotFound):
        get_listing_or_404(published, user(other.id), kind="need")
    listing = get_listing_or_404(published, user(other.id))
    assert can_see_confidential(listing, user(owner.id))
    assert not can_see_confidential(listing, user(staff.id))  # until a recorded access
    assert not can_see_confidential(listing, user(other.id))
    assert not can_see_confidential(listing, None)

    rule = register_confidential_access(lambda lst, u: u.id == other.id)
    try:
        assert can_see_confidential(listing, user(other.id))
    finally:
        RULES.remove(rule)


def test_staff_hide_notifies_the_owner(ctx, make_user):
    owner, staff = make_user(kind="startup"), make_user(kind="agency", role="staff")
    listing = db.session.get(Listing, make_listing(owner))
    with pytest.raises(PermissionDenied):
        services.hide_listing(listing, user(owner.id), "spam")
    with pytest.raises(DomainError):
        services.hide_listing(listing, user(staff.id), "  ")
    services.hide_listing(listing, user(staff.id), "Contains contact details")
    db.session.commit()
    assert listing.is_hidden and not listing.is_public
    mail = db.session.scalars(db.select(OutboxMessage)).all()
    assert [m.recipient for m in mail] == [owner.email]
    assert "Contains contact details" in mail[0].body
    with pytest.raises(NotFound):
        get_listing_or_404(listing.id, None)
    listing.unhide(user(staff.id))
    assert listing.is_public


def test_expired_needs_close_through_the_job(ctx, make_user):
    owner = make_user(kind="firm")
    listing_id = make_listing(owner)
    keep_id = make_listing(owner)
    listing = db.session.get(Listing, listing_id)
    listing.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert services.close_expired_needs() == 1
    db.session.commit()
    assert services.close_expired_needs() == 0  # idempotent
    assert db.session.get(Listing, listing_id).status == ListingStatus.closed
    assert db.session.get(Listing, listing_id).closed_reason == "expired"
    assert db.session.get(Listing, keep_id).status == ListingStatus.published


def test_expiry_job_is_periodic():
    from marketplace import jobs

    assert (services.close_expired_needs.job_spec.name, 3600) in jobs.PERIODIC


def test_status_counts(ctx, make_user):
    owner = make_user(kind="startup")
    make_listing(owner)
    make_listing(owner, publish=False)
    make_listing(owner, publish=False)
    counts = services.status_counts(user(owner.id).organisation)
    assert counts == {"draft": 2, "published": 1, "closed": 0, "archived": 0}
