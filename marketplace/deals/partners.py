"""Organisations that share a deal are partners: each sees the details contracts print about the
other (connected to `accounts.services.partners_asked` by the app)."""

import sqlalchemy as sa

from ..extensions import db
from .models import Deal


def share_a_deal(org, user) -> bool:
    """Whether `user`'s organisation and `org` are buyer and seller of a deal, either way round."""
    pair = sa.or_(sa.and_(Deal.buyer_org_id == org.id, Deal.seller_org_id == user.organisation_id),
                  sa.and_(Deal.seller_org_id == org.id, Deal.buyer_org_id == user.organisation_id))
    return bool(db.session.scalar(sa.select(sa.exists().where(pair))))
