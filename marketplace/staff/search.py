"""One search box across organisations, listings and deals: by name, title or number."""

import sqlalchemy as sa
from flask import render_template, request
from flask_login import current_user

from ..accounts.access import staff_required
from ..accounts.models import Organisation
from ..deals.models import Deal
from ..extensions import db
from ..listings.models import Listing
from .blueprint import bp
from .pipeline import seen_by

LIMIT = 20


def _like(column, q: str):
    return sa.func.lower(column).like(f"%{q.lower()}%")


def search_all(user, q: str) -> dict:
    """{"organisations", "listings", "deals": [...]} matching `q`: a name or title containing
    it, a business registration number, or (a number, with or without `#`) an id. Deals are
    only those `user` sees, found by number or by their parties' names."""
    q = " ".join((q or "").split())
    if not q:
        return {"organisations": [], "listings": [], "deals": []}
    number = q.lstrip("#")
    by_id = int(number) if number.isdigit() and len(number) < 10 else None
    org_match = sa.or_(_like(Organisation.name_ko, q), _like(Organisation.name_en, q),
                       Organisation.business_registration_no == number.replace("-", ""),
                       Organisation.id == by_id if by_id else sa.false())
    organisations = db.session.scalars(sa.select(Organisation).where(org_match)
                                       .order_by(Organisation.id).limit(LIMIT)).all()
    listings = db.session.scalars(sa.select(Listing).where(sa.or_(
        _like(Listing.title_ko, q), _like(Listing.title_en, q),
        Listing.id == by_id if by_id else sa.false())).order_by(Listing.id.desc())
        .limit(LIMIT)).all()
    party = sa.select(Organisation.id).where(_like(Organisation.name_ko, q)
                                             | _like(Organisation.name_en, q))
    deals = db.session.scalars(sa.select(Deal).where(seen_by(user), sa.or_(
        Deal.id == by_id if by_id else sa.false(), Deal.buyer_org_id.in_(party),
        Deal.seller_org_id.in_(party))).order_by(Deal.id.desc()).limit(LIMIT)).all()
    return {"organisations": organisations, "listings": listings, "deals": deals}


@bp.route("/search")
@staff_required
def search():
    q = request.args.get("q", "")
    return render_template("staff/search.html", q=q, results=search_all(current_user, q))
