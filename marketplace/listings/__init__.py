"""Needs, offerings, challenges and Korean-aware search."""


# A listing announces these changes (`domain_events.listing_changed`) after each flush.
ANNOUNCED_CHANGES = ("status", "version", "hidden_at")


def init_app(app) -> None:
    """Register the pages and their main navigation entries, and announce listing changes."""
    from flask_babel import lazy_gettext as _l

    from .. import domain_events
    from . import services
    from .models import Listing
    from .views import bp

    app.register_blueprint(bp)
    app.context_processor(lambda: {"published_listings_of": services.public_listings_of})
    domain_events.watch_changes(Listing, ANNOUNCED_CHANGES, domain_events.listing_changed)
    app.config.setdefault("NAV_LINKS", [])
    app.config["NAV_LINKS"].extend([("listings.needs", _l("Needs"), "public"),
                                    ("listings.offerings", _l("Offerings"), "public"),
                                    ("listings.my_listings", _l("My listings"))])
