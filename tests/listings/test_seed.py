import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.listings.challenges import Challenge
from marketplace.listings.models import Listing
from marketplace.listings.search import search_listings


def test_seed_demo_listings_twice(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "seed_listings:" in first.output
    with app.test_request_context():
        counts = dict(db.session.execute(sa.select(Listing.kind, sa.func.count())
                                         .group_by(Listing.kind)).all())
        assert counts["need"] == 13 and counts["offering"] == 39
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Challenge)) == 2
        english_only = db.session.scalar(sa.select(sa.func.count()).select_from(Listing).where(
            Listing.title_ko.is_(None)))
        assert english_only >= 5
        items, total = search_listings("need", {"q": "미세먼지"})
        assert total >= 1
        items, total = search_listings("need", {"challenge": "1"})
        assert total == 2
    second = runner.invoke(args=["seed-demo"])
    assert "seed_listings: 0 new" in second.output
