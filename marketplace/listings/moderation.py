"""Staff actions on listings, each with its row in the audit trail (same transaction)."""

from .. import audit
from ..accounts.models import User
from . import services
from .confidential import ConfidentialAccess, record_confidential_access
from .models import Listing


def hide(listing: Listing, actor: User, reason: str) -> None:
    services.hide_listing(listing, actor, reason)
    audit.record(actor, "listing_hidden", listing, reason)


def unhide(listing: Listing, actor: User) -> None:
    listing.unhide(actor)
    audit.record(actor, "listing_unhidden", listing)


def view_confidential(listing: Listing, actor: User, reason: str | None) -> ConfidentialAccess:
    access = record_confidential_access(listing, actor, reason)
    audit.record(actor, "confidential_viewed", listing, reason)
    return access
