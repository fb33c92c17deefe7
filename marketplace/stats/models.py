"""Indexes the figures need; the tables belong to other features."""

import sqlalchemy as sa

from ..deals.models import DealEvent
from ..listings.models import Listing

POSTED_CONDITION = "status IN ('published', 'closed') AND hidden_at IS NULL"

# Listings by sector and month over a period read only this index.
posted_listings = sa.Index("ix_listings_posted", Listing.published_at, Listing.sector,
                           Listing.kind, Listing.status, postgresql_where=sa.text(POSTED_CONDITION),
                           sqlite_where=sa.text(POSTED_CONDITION))
# The funnel and the days per stage read the stage events only.
stage_events = sa.Index("ix_deal_events_stage", DealEvent.to_state, DealEvent.deal_id,
                        DealEvent.created_at)
